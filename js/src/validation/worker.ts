// The validation worker: {type:"catalog"} once, then {type:"validate", seq, design}
// -> {seq, result} (or {seq, error} if the validator itself broke).
import type { Catalog } from "../types";
import { validate } from "./validate";

let catalog: Catalog | null = null;

self.onmessage = (e: MessageEvent) => {
  const msg = e.data as { type: string; seq?: number; design?: unknown; catalog?: Catalog };
  if (msg.type === "catalog") {
    catalog = msg.catalog ?? null;
    return;
  }
  if (msg.type !== "validate") return;
  try {
    if (!catalog) throw new Error("no catalog yet");
    (self as unknown as Worker).postMessage({
      seq: msg.seq,
      result: validate(msg.design, catalog),
    });
  } catch (err) {
    (self as unknown as Worker).postMessage({ seq: msg.seq, error: String(err) });
  }
};
