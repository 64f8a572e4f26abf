#!/usr/bin/env node
/**
 * Start-up for `npm run analyze`: runs the CLI (lib/cli/analyze.ts) from a precompiled ES module bundle instead of
 * transpiling the TypeScript on every run (tsx took ~1-1.5 s per start on this machine, the bundle ~0.1 s).
 *
 * The bundle lives in node_modules/.cache/alphaboard/analyze.mjs (ignored by git, rebuilt per checkout). It is built
 * with esbuild (installed with tsx) on the first run, and again whenever one of its source files, tsconfig.json or
 * this launcher changes: the list of inputs and their mtimes is kept beside it, and checking it costs a few ms.
 * npm packages stay external (imported from node_modules at run time). The WebAssembly kernels and their worker are
 * not bundled: lib/spectral/wasm/pool.ts finds them under ALPHABOARD_ROOT, which this launcher sets to the checkout.
 * Where esbuild cannot be loaded or the build fails, the CLI runs through tsx as before.
 *
 * `node lib/cli/launch.mjs --build-bundle` only (re)builds the bundle.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = 'lib/cli/bundle-entry.ts';
/** What the tsx fallback runs. */
const SOURCE_ENTRY = 'lib/cli/analyze.ts';
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'alphaboard');
const OUT = path.join(OUT_DIR, 'analyze.mjs');
const META = path.join(OUT_DIR, 'analyze.inputs.json');
/** Inputs beside the bundled sources whose change must trigger a rebuild. */
const EXTRA_INPUTS = ['tsconfig.json', 'lib/cli/launch.mjs'];

function mtime(rel) {
  try {
    return statSync(path.join(ROOT, rel)).mtimeMs;
  } catch {
    return -1;
  }
}

function bundleIsFresh() {
  try {
    const meta = JSON.parse(readFileSync(META, 'utf8'));
    if (mtime(path.relative(ROOT, OUT)) < 0) return false;
    for (const [rel, t] of Object.entries(meta.inputs)) if (mtime(rel) !== t) return false;
    return true;
  } catch {
    return false;
  }
}

async function buildBundle() {
  const esbuild = await import('esbuild');
  mkdirSync(OUT_DIR, { recursive: true });
  // Unique temporary names, then rename: concurrent first runs each write a whole bundle, the last rename wins.
  const tmp = `${OUT}.${process.pid}.tmp.mjs`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const inputs = {};
  for (const rel of [...Object.keys(result.metafile.inputs), ...EXTRA_INPUTS]) inputs[rel] = mtime(rel);
  renameSync(tmp, OUT);
  const metaTmp = `${META}.${process.pid}.tmp`;
  writeFileSync(metaTmp, JSON.stringify({ entry: ENTRY, inputs }));
  renameSync(metaTmp, META);
}

async function runThroughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(ROOT, SOURCE_ENTRY)).href);
}

process.env.ALPHABOARD_ROOT ??= ROOT;
if (process.argv[2] === '--build-bundle') {
  await buildBundle();
} else {
  let ready = bundleIsFresh();
  if (!ready) {
    try {
      await buildBundle();
      ready = true;
    } catch (err) {
      if (process.env.ALPHABOARD_DEBUG) process.stderr.write(`analyze: no precompiled bundle (${err?.message ?? err}); using tsx\n`);
    }
  }
  if (ready) await import(pathToFileURL(OUT).href);
  else await runThroughTsx();
}
