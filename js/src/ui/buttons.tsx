// The buttons the studio repeats: its 24-unit line icons and the round icon-only button.
import type { ReactNode } from "react";

/** A 24 x 24 line icon; decorative (the button around it carries the name). */
export function Icon({ children }: { children: ReactNode }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      {children}
    </svg>
  );
}

/** A round button that shows only an icon: `label` is its accessible name. */
export function IconButton(props: {
  label: string;
  testid: string;
  onClick: () => void;
  disabled?: boolean;
  danger?: boolean;
  children: ReactNode;
}) {
  const { label, testid, onClick, disabled, danger, children } = props;
  return (
    <button
      type="button"
      className={danger ? "ms-icon-btn danger" : "ms-icon-btn"}
      aria-label={label}
      data-testid={testid}
      disabled={disabled}
      onClick={onClick}
    >
      <Icon>{children}</Icon>
    </button>
  );
}
