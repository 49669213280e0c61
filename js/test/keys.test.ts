// Keystrokes in a host page: which ones JupyterLab may still see, which may remove a block.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostMayHave, type KeyLike, keepFromHost, mayRemove } from "../src/ui/focus";

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

test("plain keys are the studio's: JupyterLab's command-mode shortcuts never see them", () => {
  for (const k of [
    "a",
    "b",
    "d",
    "x",
    "m",
    "z",
    "Enter",
    "Escape",
    "ArrowUp",
    "Delete",
    "Backspace",
    " ",
    "1",
  ]) {
    assert.equal(hostMayHave(key(k)), false, k);
    assert.equal(hostMayHave(key(k.toUpperCase(), { shiftKey: true })), false, `Shift+${k}`);
  }
});

test("application chords go through, except the ones that run the cell", () => {
  assert.equal(hostMayHave(key("s", { ctrlKey: true })), true, "save");
  assert.equal(hostMayHave(key("C", { ctrlKey: true, shiftKey: true })), true, "command palette");
  assert.equal(hostMayHave(key("b", { metaKey: true })), true, "sidebar");
  assert.equal(hostMayHave(key("Enter", { ctrlKey: true })), false, "run cell");
  assert.equal(hostMayHave(key("Enter", { altKey: true })), false, "run and insert");
  assert.equal(hostMayHave(key("Enter", { metaKey: true })), false);
});

test("keepFromHost stops only what the host must not see", () => {
  let stopped = 0;
  const ev = (k: KeyLike) => ({ ...k, stopPropagation: () => void stopped++ });
  keepFromHost(ev(key("a")));
  keepFromHost(ev(key("s", { ctrlKey: true })));
  keepFromHost(ev(key("Enter", { shiftKey: true })));
  assert.equal(stopped, 2);
});

test("keys that may take the focused block away", () => {
  assert.equal(mayRemove(key("Delete")), true);
  assert.equal(mayRemove(key("Backspace")), true);
  assert.equal(mayRemove(key("z", { ctrlKey: true })), true);
  assert.equal(mayRemove(key("Z", { metaKey: true, shiftKey: true })), true);
  assert.equal(mayRemove(key("y", { ctrlKey: true })), true);
  assert.equal(mayRemove(key("z")), false);
  assert.equal(mayRemove(key("ArrowDown")), false);
});
