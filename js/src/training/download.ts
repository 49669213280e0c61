// Exports arrive as a custom message {"kind": "download", "id", "filename", "mime", "size"}
// with the file's bytes in buffers[0] (a DataView in ipywidgets 8). The page turns them
// into a real browser download: a Blob, an object URL and a click on a hidden <a download>.

export interface DownloadMessage {
  kind: "download";
  id: string;
  filename: string;
  mime: string;
  size: number;
}

export function isDownloadMessage(msg: unknown): msg is DownloadMessage {
  if (!msg || typeof msg !== "object") return false;
  const m = msg as Partial<DownloadMessage>;
  return m.kind === "download" && typeof m.filename === "string";
}

/** The bytes of a buffer as the kernel sent them (a view's offset and length respected). */
export function toBytes(buf: unknown): Uint8Array | null {
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return null;
}

/** A file name safe to offer: no folders, no control characters, never empty. */
export function safeFilename(name: string): string {
  const base =
    name
      .split(/[\\/]/)
      .pop()
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
      ?.replace(/[\x00-\x1f\x7f"<>:|?*]/g, "_")
      .trim() ?? "";
  return base && base !== "." && base !== ".." ? base.slice(0, 200) : "download";
}

/** The Blob for a download message, or an error message when the bytes are wrong. */
export function downloadBlob(msg: DownloadMessage, buffers: unknown): Blob | string {
  const first = Array.isArray(buffers) ? buffers[0] : undefined;
  const bytes = toBytes(first);
  if (!bytes) return `The export ${msg.filename} arrived without its bytes.`;
  if (typeof msg.size === "number" && msg.size !== bytes.byteLength) {
    return `The export ${msg.filename} arrived incomplete (${bytes.byteLength} of ${msg.size} bytes).`;
  }
  // Copy: the view may share its buffer with the rest of the websocket frame.
  return new Blob([bytes.slice()], { type: msg.mime || "application/octet-stream" });
}

/** How long the object URL lives: mobile browsers read it after the click returns. */
export const REVOKE_AFTER_MS = 60_000;

/** Start the browser's download of `blob` as `filename`. */
export function saveBlob(
  blob: Blob,
  filename: string,
  doc: Document = document,
  revokeAfterMs = REVOKE_AFTER_MS,
): void {
  const url = URL.createObjectURL(blob);
  const a = doc.createElement("a");
  a.href = url;
  a.download = safeFilename(filename);
  a.rel = "noopener";
  a.style.display = "none";
  doc.body.appendChild(a);
  a.click();
  setTimeout(() => {
    a.remove();
    URL.revokeObjectURL(url);
  }, revokeAfterMs);
}
