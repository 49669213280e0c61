// The width of an element, kept current by a ResizeObserver (charts draw in pixels).
import { useLayoutEffect, useState, type RefObject } from "react";

export function useWidth(ref: RefObject<Element | null>, select: (el: Element) => Element | null = (el) => el): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current ? select(ref.current) : null;
    if (!el) return;
    setWidth(el.getBoundingClientRect().width);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver((entries) => {
      for (const e of entries) setWidth(e.contentRect.width);
    });
    ro.observe(el);
    return () => ro.disconnect();
    // `select` is a module-level function at every call site: not a dependency.
  }, [ref]);
  return width;
}
