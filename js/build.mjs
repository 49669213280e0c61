// Builds the widget bundle into modelstudio_widget/static/ (git-ignored).
//
// Two steps: the validation worker is bundled on its own (an IIFE), then the widget
// bundle imports its source text through the virtual module "virtual:worker-source" and
// starts it from a Blob URL at run time, so the page makes no extra request (and none to
// the network). `--watch` rebuilds on change; `--dev` skips minification.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "modelstudio_widget", "static");
const watch = process.argv.includes("--watch");
const minify = !process.argv.includes("--dev");

async function buildWorker() {
  const result = await esbuild.build({
    entryPoints: [path.join(root, "js/src/validation/worker.ts")],
    bundle: true,
    format: "iife",
    target: "es2020",
    minify,
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0].text;
}

/** esbuild plugin: `import source from "virtual:worker-source"` gives the worker's code. */
const workerSource = {
  name: "worker-source",
  setup(build) {
    build.onResolve({ filter: /^virtual:worker-source$/ }, (args) => ({
      path: args.path,
      namespace: "worker-source",
    }));
    build.onLoad({ filter: /.*/, namespace: "worker-source" }, async () => ({
      contents: `export default ${JSON.stringify(await buildWorker())};`,
      loader: "js",
      watchFiles: [path.join(root, "js/src/validation")],
    }));
  },
};

await mkdir(outdir, { recursive: true });
const options = {
  entryPoints: { widget: path.join(root, "js/src/index.tsx") },
  bundle: true,
  format: "esm",
  target: "es2020",
  minify,
  sourcemap: false,
  outdir,
  jsx: "automatic",
  define: { "process.env.NODE_ENV": minify ? '"production"' : '"development"' },
  plugins: [workerSource],
  logLevel: "info",
  legalComments: "none",
};
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
