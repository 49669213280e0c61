// The difference between two designs: the twin of modelstudio_widget/design/diff.py, held
// to the same shared vectors (tests/vectors/diff). Read tolerantly, as there: components
// that are not objects with a string id and edges that are not pairs of strings are
// skipped; of two components with one id the first counts; a missing value equals null.
// Ids, names and edges sort by code point, as Python's sorted() does.

export interface BlockChange {
  type?: [unknown, unknown];
  props: Record<string, [unknown, unknown]>;
  /** The position changed (no change of meaning). */
  moved: boolean;
}

export interface DesignDiff {
  added: string[];
  removed: string[];
  changed: Record<string, BlockChange>;
  edges_added: [string, string][];
  edges_removed: [string, string][];
  meta: Record<string, [unknown, unknown]>;
  training: Record<string, [unknown, unknown]>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property only: a name such as "constructor" must not read Object's. */
function own(o: Json, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** JSON values equal as Python's diff sees them (missing and null alike at the top). */
export function same(a: unknown, b: unknown): boolean {
  const x = a === undefined ? null : a;
  const y = b === undefined ? null : b;
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => same(v, y[i]));
  }
  if (isObject(x) || isObject(y)) {
    if (!isObject(x) || !isObject(y)) return false;
    const kx = Object.keys(x);
    return kx.length === Object.keys(y).length && kx.every((k) => Object.hasOwn(y, k) && same(x[k], y[k]));
  }
  return x === y;
}

/** Python's string order (code points), not JS's UTF-16 code units. */
export function byCodePoint(a: string, b: string): number {
  const pa = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const pb = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i] - pb[i];
  }
  return pa.length - pb.length;
}

function mapping(v: unknown): Json {
  return isObject(v) ? v : {};
}

function orNull(v: unknown): unknown {
  return v === undefined ? null : v;
}

/** name -> [old, new] for each key of two objects whose values differ. */
export function changedKeys(old: unknown, next: unknown): Record<string, [unknown, unknown]> {
  const a = mapping(old);
  const b = mapping(next);
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(byCodePoint);
  // fromEntries, not assignment: a key named "__proto__" stays a plain key.
  return Object.fromEntries(
    names
      .filter((k) => !same(own(a, k), own(b, k)))
      .map((k) => [k, [orNull(own(a, k)), orNull(own(b, k))] as [unknown, unknown]]),
  );
}

function components(design: unknown): Map<string, Json> {
  const found = new Map<string, Json>();
  const list = own(mapping(design), "components");
  for (const c of Array.isArray(list) ? list : []) {
    if (!isObject(c)) continue;
    const id = own(c, "id");
    if (typeof id === "string" && !found.has(id)) found.set(id, c);
  }
  return found;
}

// Keyed by its JSON text (unambiguous for any two strings), the pair kept alongside.
function edges(design: unknown): Map<string, [string, string]> {
  const found = new Map<string, [string, string]>();
  const list = own(mapping(design), "edges");
  for (const e of Array.isArray(list) ? list : []) {
    if (Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && typeof e[1] === "string") {
      found.set(JSON.stringify(e), [e[0], e[1]]);
    }
  }
  return found;
}

function byEdge(a: [string, string], b: [string, string]): number {
  return byCodePoint(a[0], b[0]) || byCodePoint(a[1], b[1]);
}

function edgesOnlyIn(a: Map<string, [string, string]>, b: Map<string, [string, string]>): [string, string][] {
  return [...a].filter(([k]) => !b.has(k)).map(([, e]) => e).sort(byEdge);
}

function componentChange(old: Json, next: Json): BlockChange | null {
  const change: BlockChange = { props: changedKeys(own(old, "props"), own(next, "props")), moved: false };
  const [ta, tb] = [own(old, "type"), own(next, "type")];
  const typeChanged = !same(ta, tb);
  change.moved = !same(own(old, "position"), own(next, "position"));
  const out: BlockChange = typeChanged ? { type: [orNull(ta), orNull(tb)], ...change } : change;
  return typeChanged || Object.keys(out.props).length > 0 || out.moved ? out : null;
}

/** What changed from `old` to `next` (the same answer as diff.py's diff_designs). */
export function diffDesigns(old: unknown, next: unknown): DesignDiff {
  const before = components(old);
  const after = components(next);
  const changed: [string, BlockChange][] = [];
  for (const id of [...before.keys()].filter((k) => after.has(k)).sort(byCodePoint)) {
    const change = componentChange(before.get(id)!, after.get(id)!);
    if (change) changed.push([id, change]);
  }
  const [oldEdges, newEdges] = [edges(old), edges(next)];
  return {
    added: [...after.keys()].filter((k) => !before.has(k)).sort(byCodePoint),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(byCodePoint),
    changed: Object.fromEntries(changed),
    edges_added: edgesOnlyIn(newEdges, oldEdges),
    edges_removed: edgesOnlyIn(oldEdges, newEdges),
    meta: changedKeys(own(mapping(old), "meta"), own(mapping(next), "meta")),
    training: changedKeys(own(mapping(old), "training"), own(mapping(next), "training")),
  };
}

/** Whether the diff records no change at all (moves included). */
export function isEmpty(diff: DesignDiff): boolean {
  return (
    diff.added.length + diff.removed.length + diff.edges_added.length + diff.edges_removed.length === 0 &&
    Object.keys(diff.changed).length + Object.keys(diff.meta).length + Object.keys(diff.training).length === 0
  );
}
