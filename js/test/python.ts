// Asks the Python package (the source of truth) for the catalog and for its own
// validation of given designs, so the JS tests compare against the kernel directly.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Catalog, ValidationResult } from "../src/types";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function python(): string {
  if (process.env.PYTHON) return process.env.PYTHON;
  const venv = path.join(ROOT, ".venv/bin/python");
  return existsSync(venv) ? venv : "python3";
}

const SCRIPT = `
import json, sys
import modelstudio_widget as ms
from modelstudio_widget.design.rules import validate
ask = json.load(sys.stdin)
designs = [json.load(open(f))["design"] for f in ask["files"]] + ask["designs"]
json.dump({"catalog": ms.catalog(), "templates": ms.templates(),
           "results": [validate(d).to_dict() for d in designs]}, sys.stdout)
`;

export interface KernelAnswer {
  catalog: Catalog;
  templates: Record<string, unknown>;
  results: ValidationResult[];
}

/** The catalog, the templates, and the kernel's validation of the "design" of each JSON
 * file (read as is) followed by each of `designs`. */
export function fromPython(files: string[], designs: unknown[] = []): KernelAnswer {
  const out = execFileSync(python(), ["-c", SCRIPT], {
    input: JSON.stringify({ files, designs }),
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  return JSON.parse(out.toString("utf8"));
}
