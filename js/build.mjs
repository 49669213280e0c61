// Builds the front end into modelstudio_widget/static/ (git-ignored), twice:
// - widget.js + widget.css: one file each, the widget's `_esm`/`_css` in JupyterLab and
//   plain Voila;
// - app/: the served app's entry, app-<hash>.js (ESM, its lazy parts in chunk-<hash>.js
//   beside it), app-<hash>.css and manifest.json ({"js", "css", "preload"}: file names),
//   which the page's HTML links and the kernel's `_esm` loader imports (issue 13's
//   contract). Names carry content hashes, so they can be cached for good.
//
// The validation worker is bundled on its own (an IIFE), then each bundle imports its
// source text through the virtual module "virtual:worker-source" and starts it from a Blob
// URL at run time, so the page makes no extra request (and none to the network).
// `--watch` rebuilds on change; `--dev` skips minification.

import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
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

/**
 * esbuild plugin: after each app build, manifest.json names the entry, its stylesheet and
 * the chunks the entry imports statically (for the page to preload, so that they are not
 * found only once the entry has arrived), and every file it keeps (`files`). Files of
 * earlier builds leave the folder, except the previous build's: a kernel started before
 * a rebuild still names them in its page (app_static.kernel_bundle keeps its first look).
 * The entry's stylesheet holds the CSS of the lazy parts too (esbuild bundles what the
 * whole import graph imports), so their own chunk-<hash>.css files, which nothing loads,
 * are dropped.
 */
/** The files the last build kept (none for a first build or an unreadable manifest). */
async function previousFiles(manifestPath) {
  try {
    const files = JSON.parse(await readFile(manifestPath, "utf8")).files;
    return Array.isArray(files) ? files.filter((f) => typeof f === "string") : [];
  } catch {
    return [];
  }
}

const appManifest = {
  name: "app-manifest",
  setup(build) {
    build.onEnd(async (result) => {
      if (!result.metafile) return;
      const dir = build.initialOptions.outdir;
      const outputs = Object.entries(result.metafile.outputs);
      const [entry, meta] = outputs.find(([, o]) => o.entryPoint) ?? [];
      if (!entry) return;
      const manifest = {
        js: path.basename(entry),
        css: path.basename(meta.cssBundle ?? ""),
        preload: meta.imports
          .filter((i) => i.kind === "import-statement" && !i.external)
          .map((i) => path.basename(i.path)),
      };
      const keep = new Set(
        outputs.map(([file]) => path.basename(file)).filter((f) => !f.endsWith(".css")),
      );
      keep.add(manifest.css);
      manifest.files = [...keep].sort();
      const previous = await previousFiles(path.join(dir, "manifest.json"));
      for (const name of [...previous, "manifest.json"]) keep.add(name);
      for (const name of await readdir(dir)) {
        if (!keep.has(name)) await rm(path.join(dir, name), { force: true });
      }
      await writeFile(path.join(dir, "manifest.json"), `${JSON.stringify(manifest)}\n`);
    });
  },
};

const appdir = path.join(outdir, "app");
await mkdir(appdir, { recursive: true });
const common = {
  bundle: true,
  format: "esm",
  target: "es2020",
  minify,
  sourcemap: false,
  jsx: "automatic",
  define: { "process.env.NODE_ENV": minify ? '"production"' : '"development"' },
  logLevel: "info",
  legalComments: "none",
};
const builds = [
  {
    ...common,
    entryPoints: { widget: path.join(root, "js/src/index.tsx") },
    outdir,
    plugins: [workerSource],
  },
  {
    ...common,
    entryPoints: { app: path.join(root, "js/src/app.tsx") },
    outdir: appdir,
    splitting: true,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    assetNames: "asset-[hash]",
    metafile: true,
    plugins: [workerSource, appManifest],
  },
];
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
