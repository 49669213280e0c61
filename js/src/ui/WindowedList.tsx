// The scrolling box of a windowed list (history's revisions, the runs sheet's runs): it
// measures its viewport (on resize, on scroll and when the list changes length) and
// renders only the rows visibleRows picks; `data-rendered` says how many.
import { type ReactNode, useEffect, useRef, useState } from "react";
import { visibleRows } from "./virtual";

export function WindowedList(props: {
  className: string;
  testid: string;
  count: number;
  rowHeight: number;
  /** The viewport height assumed until the box is measured (px). */
  assumedHeight: number;
  /** The rows [first, end) to render. */
  children: (first: number, end: number) => ReactNode;
}) {
  const { className, testid, count, rowHeight, assumedHeight, children } = props;
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: assumedHeight });
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure the viewport when the list changes length
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () =>
      setScroll({ top: el.scrollTop, height: el.clientHeight || assumedHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [count, assumedHeight]);
  const [first, end] = visibleRows(scroll.top, scroll.height, rowHeight, count);
  return (
    <div
      ref={box}
      className={className}
      data-testid={testid}
      data-count={count}
      data-rendered={end - first}
      onScroll={(e) =>
        setScroll({
          top: e.currentTarget.scrollTop,
          height: e.currentTarget.clientHeight || assumedHeight,
        })
      }
    >
      {children(first, end)}
    </div>
  );
}
