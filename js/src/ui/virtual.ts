// A windowed list of fixed-height rows: only the rows on screen (and a few around them)
// are in the page, so 300 revisions or 100 runs scroll as smoothly as 10.

/**
 * The rows a list of fixed-height rows shows: [first, end) of those in the viewport plus
 * `overscan` rows each side, so a long list costs as much as the dozen rows on screen.
 */
export function visibleRows(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan = 4,
): [number, number] {
  if (count <= 0 || rowHeight <= 0) return [0, 0];
  const shown = Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + 2 * overscan + 1;
  // Scrolled past the end (the list just shrank): the last rows.
  const first = Math.max(
    0,
    Math.min(Math.floor(Math.max(0, scrollTop) / rowHeight) - overscan, count - shown),
  );
  return [first, Math.min(count, first + shown)];
}
