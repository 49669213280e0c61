// Python's renderings of values, so messages read the same as the kernel's (rules.py).

/** Python's type(v).__name__ for a JSON value. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (Array.isArray(v)) return "list";
  switch (typeof v) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    default:
      return "dict";
  }
}

function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

/** A float as Python prints it ("1.0", "0.5", "1e-05"). */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const s = String(x);
  return s.replace(/e([+-])(\d)$/, "e$10$2").replace("e+", "e+");
}

/** Python's repr() of a JSON value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return Number.isInteger(v) ? String(v) : String(v);
  }
  if (typeof v === "string") return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") {
    const parts = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyStr(k)}: ${pyRepr(x)}`,
    );
    return `{${parts.join(", ")}}`;
  }
  return String(v);
}

const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

/** rules._show: a short, printable rendering of a user value for messages. */
export function show(value: unknown, limit = 40): string {
  const text = typeof value === "string" ? value : pyRepr(value);
  const chars = Array.from(text, (ch) => (ch !== " " && NOT_PRINTABLE.test(ch) ? "?" : ch));
  return chars.length <= limit ? chars.join("") : `${chars.slice(0, limit - 1).join("")}…`;
}

/** Length in code points, as Python's len() of a str. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python's % for ints (the result has the divisor's sign). */
export function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
