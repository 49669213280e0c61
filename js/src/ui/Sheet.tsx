// A bottom sheet: slides up from the bottom edge, scrolls inside itself, respects the
// safe area. Modal sheets dim the canvas and close on a tap outside.
import type { ReactNode } from "react";

export function Sheet(props: {
  open: boolean;
  title: ReactNode;
  testid?: string;
  modal?: boolean;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}) {
  const { open, title, testid, modal, onClose, children, className } = props;
  if (!open) return null;
  return (
    <>
      {modal && (
        // biome-ignore lint/a11y/noStaticElementInteractions: a tap outside the sheet; keys use its Close button
        // biome-ignore lint/a11y/useKeyWithClickEvents: as above
        <div className="ms-scrim" onClick={onClose} />
      )}
      <section
        className={`ms-sheet${className ? ` ${className}` : ""}`}
        data-testid={testid}
        role="dialog"
        aria-label={typeof title === "string" ? title : undefined}
      >
        <header className="ms-sheet-head">
          <div className="ms-sheet-title">{title}</div>
          <button type="button" className="ms-icon-btn" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </header>
        <div className="ms-sheet-body">{children}</div>
      </section>
    </>
  );
}
