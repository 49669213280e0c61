// The JS mirror of modelstudio_widget/design/values.py: a prop value's check against the
// catalog and a position's check. Python's renderings of values are in pyfmt.ts.
import type { PropSpec } from "../types";
import { pyFloat, pyMod, show } from "./pyfmt";

export const isNumber = (v: unknown): v is number => typeof v === "number";
export const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Python's str() of a float bound (None when absent). */
const fmtBound = (b: number | undefined) => (b === undefined ? "None" : pyFloat(b));

/** Type, bounds and choices of one prop value -> [code, reason] or null when fine. */
export function checkPropValue(prop: PropSpec, value: unknown): [string, string] | null {
  if (prop.type === "int") {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return ["PROP_TYPE", `must be a whole number, not ${show(value)}`];
    }
    if (prop.max_code && prop.max !== undefined && value > prop.max) {
      return [prop.max_code, `is ${value}; at most ${Math.trunc(prop.max)} are supported`];
    }
    if (
      (prop.min !== undefined && value < prop.min) ||
      (prop.max !== undefined && value > prop.max)
    ) {
      return [
        "PROP_RANGE",
        `is ${show(value)}; it must be between ${Math.trunc(prop.min ?? 0)} and ${Math.trunc(prop.max ?? 0)}`,
      ];
    }
    if (prop.multiple_of && pyMod(value, prop.multiple_of)) {
      const lo = value - pyMod(value, prop.multiple_of);
      const hint =
        lo >= (prop.min ?? 0)
          ? `try ${lo} or ${lo + prop.multiple_of}`
          : `try ${lo + prop.multiple_of}`;
      return [
        prop.multiple_code || "PROP_RANGE",
        `is ${value}; it must be a multiple of ${prop.multiple_of} (${hint})`,
      ];
    }
    return null;
  }
  if (prop.type === "float") {
    if (!isNumber(value)) return ["PROP_TYPE", `must be a number, not ${show(value)}`];
    if (!Number.isFinite(value))
      return ["PROP_TYPE", `must be a finite number, not ${show(value)}`];
    if (
      (prop.min !== undefined && value < prop.min) ||
      (prop.max !== undefined && value > prop.max)
    ) {
      return [
        "PROP_RANGE",
        `is ${show(value)}; it must be between ${fmtBound(prop.min)} and ${fmtBound(prop.max)}`,
      ];
    }
    return null;
  }
  if (prop.type === "bool") {
    if (typeof value !== "boolean")
      return ["PROP_TYPE", `must be true or false, not ${show(value)}`];
    return null;
  }
  // enum
  const choices = (prop.choices ?? []).join(", ");
  if (typeof value !== "string")
    return ["PROP_TYPE", `must be one of ${choices}, not ${show(value)}`];
  if (!(prop.choices ?? []).includes(value))
    return ["PROP_RANGE", `is ${show(value)}; choose one of ${choices}`];
  return null;
}

/** A canvas position: {x, y}, finite and within the canvas. */
export function positionOk(position: unknown, maxCoordinate: number): boolean {
  return (
    isDict(position) &&
    ["x", "y"].every((k) => {
      const v = position[k];
      return isNumber(v) && Number.isFinite(v) && Math.abs(v) <= maxCoordinate;
    })
  );
}
