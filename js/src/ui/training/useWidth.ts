// The width of an element, kept current by a ResizeObserver (charts draw in pixels, the
// panel picks its layout). Takes the element itself (from a callback ref held in state),
// so it starts observing whenever the element mounts, not only on the first render.
import { useLayoutEffect, useState } from "react";

export function useWidth(el: Element | null): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    if (!el) return;
    setWidth(el.getBoundingClientRect().width);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver((entries) => {
      for (const e of entries) setWidth(e.contentRect.width);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return width;
}
