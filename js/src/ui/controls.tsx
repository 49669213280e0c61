// Touch controls for props, driven by the catalog's types, bounds and choices:
// steppers for numbers (hold to repeat), a segmented control or a select for enums,
// a switch for booleans. No free-text numbers.
import { useCallback, useEffect, useRef } from "react";
import { formatValue } from "../catalog";
import type { PropSpec, PropValue } from "../types";

function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(10, digits)));
}

/** The value one step up (+1) or down (-1), kept within the prop's bounds. */
export function stepValue(spec: PropSpec, value: number, dir: 1 | -1): number {
  const step = spec.step ?? (spec.type === "int" ? 1 : 0.1);
  let next = roundTo(value + dir * step, step);
  if (spec.type === "int") next = Math.round(next);
  if (spec.min !== undefined) next = Math.max(spec.min, next);
  if (spec.max !== undefined) next = Math.min(spec.max, next);
  return next;
}

function useRepeat(fn: () => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const stop = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  }, []);
  useEffect(() => stop, [stop]);
  const start = () => {
    stop();
    let delay = 400;
    const tick = () => {
      fnRef.current();
      delay = Math.max(50, delay * 0.75);
      timer.current = setTimeout(tick, delay);
    };
    timer.current = setTimeout(tick, delay);
  };
  return { start, stop };
}

export function Stepper({
  spec,
  value,
  onChange,
  testid,
}: {
  spec: PropSpec;
  value: number;
  onChange: (v: number) => void;
  testid: string;
}) {
  const valueRef = useRef(value);
  valueRef.current = value;
  const down = useRepeat(() => onChange(stepValue(spec, valueRef.current, -1)));
  const up = useRepeat(() => onChange(stepValue(spec, valueRef.current, 1)));
  const atMin = spec.min !== undefined && value <= spec.min;
  const atMax = spec.max !== undefined && value >= spec.max;
  const bind = (r: ReturnType<typeof useRepeat>) => ({
    onPointerDown: r.start,
    onPointerUp: r.stop,
    onPointerLeave: r.stop,
    onPointerCancel: r.stop,
  });
  return (
    <div className="ms-stepper" data-testid={testid}>
      <button
        aria-label="Decrease"
        data-testid={`${testid}-dec`}
        disabled={atMin}
        onClick={() => onChange(stepValue(spec, value, -1))}
        {...bind(down)}
      >
        −
      </button>
      <output data-testid={`${testid}-value`}>{formatValue(value)}</output>
      <button
        aria-label="Increase"
        data-testid={`${testid}-inc`}
        disabled={atMax}
        onClick={() => onChange(stepValue(spec, value, 1))}
        {...bind(up)}
      >
        +
      </button>
    </div>
  );
}

/** One of a few options as a row of 44 px buttons (the ARIA radio pattern). Each option's
 * button carries `data-testid` = `${optionTestid}-${value}` when `optionTestid` is given. */
export function Segmented<T extends string | number>({
  options,
  value,
  onChange,
  testid,
  optionTestid,
  label,
  disabled = false,
}: {
  options: { value: T; label: string }[];
  value: T;
  onChange: (v: T) => void;
  testid?: string;
  optionTestid?: string;
  label?: string;
  disabled?: boolean;
}) {
  return (
    <div className="ms-segmented" role="radiogroup" aria-label={label} data-testid={testid}>
      {options.map((o) => (
        // biome-ignore lint/a11y/useSemanticElements: a segmented control of 44 px buttons, as the ARIA radio pattern allows
        <button
          type="button"
          key={String(o.value)}
          role="radio"
          aria-checked={o.value === value}
          className={o.value === value ? "on" : ""}
          disabled={disabled}
          data-testid={optionTestid ? `${optionTestid}-${o.value}` : undefined}
          onClick={() => onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function Choice({
  spec,
  value,
  onChange,
  testid,
}: {
  spec: PropSpec;
  value: string;
  onChange: (v: string) => void;
  testid: string;
}) {
  const choices = spec.choices ?? [];
  if (choices.length <= 3) {
    return (
      <Segmented
        options={choices.map((c) => ({ value: c, label: c }))}
        value={value}
        onChange={onChange}
        testid={testid}
      />
    );
  }
  return (
    <select
      className="ms-select"
      data-testid={testid}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      {choices.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}

export function Toggle({
  value,
  onChange,
  testid,
  label,
}: {
  value: boolean;
  onChange: (v: boolean) => void;
  testid: string;
  label: string;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={value}
      aria-label={label}
      className={`ms-switch${value ? " on" : ""}`}
      data-testid={testid}
      onClick={() => onChange(!value)}
    >
      <span />
    </button>
  );
}

export function PropEditor({
  spec,
  value,
  onChange,
  testid,
}: {
  spec: PropSpec;
  value: unknown;
  onChange: (v: PropValue) => void;
  testid: string;
}) {
  switch (spec.type) {
    case "int":
    case "float": {
      const n =
        typeof value === "number" && Number.isFinite(value) ? value : (spec.default as number);
      return <Stepper spec={spec} value={n} onChange={onChange} testid={testid} />;
    }
    case "enum":
      return (
        <Choice
          spec={spec}
          value={typeof value === "string" ? value : String(spec.default)}
          onChange={onChange}
          testid={testid}
        />
      );
    case "bool":
      return (
        <Toggle
          value={typeof value === "boolean" ? value : Boolean(spec.default)}
          onChange={onChange}
          testid={testid}
          label={spec.name}
        />
      );
  }
}
