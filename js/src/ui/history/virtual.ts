// A windowed list of fixed-height rows: only the rows on screen (and a few around them)
// are in the page, so 300 revisions scroll as smoothly as 10.

/** Rows [start, end) to render for a list scrolled to `scrollTop` in a `viewHeight` box. */
export function visibleRows(
  scrollTop: number,
  viewHeight: number,
  rowHeight: number,
  count: number,
  overscan = 4,
): [number, number] {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(viewHeight, rowHeight) / rowHeight);
  return [Math.max(0, first - overscan), Math.min(count, first + shown + overscan)];
}
