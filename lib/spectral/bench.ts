/**
 * `npm run bench` — how fast the spectral core is on this machine, beside WeightWatcher's own path.
 *
 * Prints, for float32 Gaussian matrices 1024x4096, 4096x4096, 4096x11008 and 8192x8192 (one run; --no-big skips it):
 * seconds for the eigenvalues (split: Gram / tridiagonal reduction / tridiagonal QL), for the power-law
 * fit, end to end through analyzeMatrix, the GFLOP/s of the Gram and of the reduction, and peak RSS;
 * then a 7B-shaped block (Llama: 4 x 4096x4096 + gate/up 11008x4096 + down 4096x11008, BF16) written to a
 * temporary safetensors file and analysed one tensor at a time as the CLI reads it (BF16 kept as its bits), in a child
 * process so its peak RSS is its own, with the projected time for 32 blocks (224 matrices).
 * Options: --quick (1024x4096 and 2048x2048 only, no block, no scipy), --no-big, --threads N, --reps N
 * (median of N, default 3), --no-block, --no-scipy, --one-stage (the blocked one-stage reduction),
 * --spiked (only the paired outlier cases below), --paired (only the whole-process comparison below), --against REV
 * (also time the CLI of git revision REV in the paired rotation: a step's effect as a same-run ratio, bench-revision.ts),
 * --native (only the native kernels against the WebAssembly ones: float32 4096² and 4096x11008, two pools in one process
 * alternating --reps times; eigenvalue seconds split Gram / dense -> band / bulge chasing, and how many eigenvalues are
 * bitwise the same).
 *
 * WeightWatcher's path (scipy.linalg.svd(W.astype(float64), compute_uv=False)) runs in a python3 child whose
 * environment lacks OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (this process and every other child keep them): a host
 * may set them to pin an old OpenBLAS kernel, which is not how WeightWatcher's users run numpy. The child prints
 * the OpenBLAS kernel it ran (threadpoolctl when importable, else openblas_get_corename from the loaded library).
 * Two comparisons: kernel time (the SVD alone against analyzeMatrix in this process), and the judged one, whole
 * processes (--paired, also run by default): a float32 4096x11008 safetensors file, per rep in rotating order
 * `analyze --json` started as `npm run analyze` starts it (the precompiled bundle, lib/cli/launch.mjs), the same
 * through tsx (the start-up before the bundle), and a python3 process that reads the file, converts it to float64
 * and takes the SVD; medians and ratios from the same run. Also the CLI's start-up alone (`analyze --help`).
 *
 * Outlier layers (also run by default, after the shapes; --spiked runs only them): a float32 2048x5504 Gaussian
 * layer (entries N(0, 0.02²)) and the same layer plus one rank-1 spike whose singular value is 300x the bulk edge,
 * each written to a safetensors file and analysed by the CLI (`analyze --json`, as `npm run analyze` starts it) in its own process,
 * alternating plain/spiked --reps times; whole-process seconds (medians) and their ratio from the same run. The
 * spiked layer takes the deflated route (deflate.ts); before it, the accuracy policy sent it to the pure-JS SVD.
 *
 * ## Algorithm (lib/spectral/wasm, WebAssembly SIMD, worker threads on one shared memory)
 * 1. Half Gram G = A·Aᵀ over the smaller side (A = W or Wᵀ, n = min(rows, cols), k = max): only the
 *    lower triangle, n²k/2 multiply-adds, 4x4 f64x2 register tiles over packed 4-row strips, cache
 *    blocked (L1 strip x L2 block), split between threads by equal triangle area. W enters kernel
 *    memory in 32 MB slabs of its inner dimension (the next copied in while the kernels read the
 *    current one), so memory is G + two slabs, whatever k is. The outlier scan (deflate.ts) runs on
 *    the main thread meanwhile: the solve starts before it and is aborted if the scan finds outliers.
 * 2. Two-stage Householder reduction to tridiagonal form:
 *    a. dense -> band of half-width 32 (LAPACK sy2sb, dense-band.ts): per panel of 32 columns a QR of
 *       the panel, Y = A·V, and the rank-64 update A -= V Wᵀ + W Vᵀ — matrix-matrix products on the
 *       register-blocked kernel, both threads (the matrix is read once per panel instead of once per
 *       column as in the one-stage dsytrd, whose symmetric matrix-vector products were memory-bound).
 *       Only the lower triangle is kept: Y from lower row strips plus transposed column strips, the
 *       update without mirrored stores (which had made it the costliest phase: 2.9 -> 1.1-1.3 s at
 *       4096² in A/B runs); the next panel is factored while the others finish the update (look-ahead),
 *       and the update is fused with the next panel's Y (each block of A is updated and multiplied
 *       into Y while in cache: A is read from memory once per panel, not three times);
 *    b. band -> tridiagonal by Householder bulge chasing (band-tridiag.ts, the band kept compact in
 *       L2, sweeps pipelined over both threads: O(b·n²) flops, ~0.25 s at n = 4096).
 *    The blocked one-stage reduction (tridiag.ts, --one-stage) gives the same eigenvalues to rounding.
 * 3. Root-free (Pal-Walker-Kahan) QL on the tridiagonal (values only, O(n²), thread 0).
 * Kernels are compiled by V8's optimizing tier up front (its baseline tier ran them 3-4x slower).
 * Two builds of the same sources: spectral-fma.wasm fuses the multiply-adds (f64x2.relaxed_madd ->
 * vfmadd231pd; relaxed SIMD is enabled in V8 at load), spectral.wasm keeps mul + add; the first lines
 * of the output name the build and the reduction in use.
 *
 * ## Bounds on this machine
 * WebAssembly SIMD is 128 bits wide: 2 f64 lanes, 2 fused multiply-adds per cycle per core on this
 * machine's x86 cores (lscpu: Intel Xeon, family 6 model 167, 48 KiB L1d and 2 MiB L2 per core), i.e.
 * 8 flops/cycle/core, ~47 GFLOP/s on the two cores at the clock observed. On one thread (stable timings
 * even on this shared host) the Gram kernel runs at ~89% of the per-core peak, the dense -> band update
 * at ~92% and Y = A·V at ~82%; the reduction needs 4n³/3 flops (92 GFLOP at n = 4096, >= 2 s at peak).
 * Float64 is required for WeightWatcher's numbers (see the error analysis), so a 4096x11008 layer cannot
 * go below ~6 s here, nor a 4096² one below ~3.5 s, whatever the algorithm on this route.
 * The host is shared: the same run varies by 20-50% from minute to minute, and scipy slows down with
 * it, which is why only ratios to WeightWatcher's path timed in the same run, in alternating order, are compared.
 * Even those move with the load: OpenBLAS's SVD slows down more than these kernels when the cores are contended
 * (whole-process 4096x11008 ratio 0.51 measured in a quiet period, 0.30 at a load average of ~6.5 on 2 cores).
 *
 * ## Error analysis
 * - Inputs (f32/bf16/f16 decoded to f32) are converted to f64 exactly when packed; a product of two
 *   such values is exact in f64 (24 + 24 < 53 significant bits), so the only rounding in G is the f64
 *   summation: |ΔG_ij| <= k·eps·Σ_l |a_il a_jl| — the same class of error as WeightWatcher's
 *   W.astype(float64) followed by LAPACK. (A float32 Gram would put 13% error on λ_min of a square
 *   4096² Gaussian; accumulating rounded f32 products in f64 would still leave ~6e-8 relative per
 *   product — both rejected.)
 * - The reduction and QL are backward stable: each computed eigenvalue is exact for G + E with
 *   ||E|| = O(n·eps·||G||). So |Δλ| <~ n·eps·λ_max for every eigenvalue: ~1e-13 relative for the bulk
 *   of a full-rank spectrum, which keeps every power-law fit column (they only use λ above xmin, and
 *   xmin's D-margin is ~1e-5) to ~1e-8 or better against the float64 SVD.
 * - Where it blurs: the Gram squares the condition number, so singular values below ~sqrt(n·eps)·σ_max
 *   (~1e-7·σ_max) are noise: exact zeros come back as ±1e-13·λ_max and rank_loss, matrix_rank, sv_min
 *   and entropy of rank-deficient layers would be wrong. eigen.ts (the dispatcher) checks λ_min/λ_max
 *   of every spectrum and recomputes such layers with the SVD route, so those columns stay exact.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { openLocalSource } from '@/lib/checkpoint/open';
import { writeSafetensorsFile } from '@/lib/safetensors/write';

import { analyzeMatrix } from './analyze-matrix';
import { eigenvaluesWasmDetailed, wasmAvailable, wasmVariant } from './eigen-wasm';
import { gramNeedsSvd } from './eigen-js';
import { fitPowerLaw } from './powerlaw';
import { prepareRevisionCli, type RevisionCli } from './bench-revision';
import { configurePool, getPool, KernelPool, shutdown } from './wasm/pool';
import { nativeUnavailableReason } from './native/native-kernels';

/** Which kernels form the Gram matrix and reduce it to a band, for the bench's header lines. */
function nativeKernelsLine(pool: KernelPool): string {
  const why = nativeUnavailableReason();
  return `Gram matrix: ${pool.gramKernel === 'native' ? 'native (lib/spectral/native/gram.c)' : 'WebAssembly (gram.ts)'}; ` +
    `dense -> band: ${pool.reductionKernel === 'native' ? 'native (dense-band.c)' : 'WebAssembly (dense-band.ts)'}` +
    (why ? `; native kernels not used: ${why}` : '; ALPHABOARD_NATIVE=0 for the WebAssembly ones');
}
import { createRng } from './rng';

interface Args {
  quick: boolean;
  big: boolean;
  threads: number | undefined;
  reps: number;
  block: boolean;
  scipy: boolean;
  blockOnly: boolean;
  oneStage: boolean;
  spikedOnly: boolean;
  pairedOnly: boolean;
  /** --against REV: also time the CLI of that git revision in the paired rotation (bench-revision.ts). */
  against: string | null;
  /** --native: only the native kernels against the WebAssembly ones, in process (benchNativeVsWasm). */
  nativeOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, big: true, threads: undefined, reps: 3, block: true, scipy: true, blockOnly: false, oneStage: false, spikedOnly: false, pairedOnly: false, against: null, nativeOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name: string) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer, got ${argv[i]}`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--big') args.big = true;
    else if (a === '--no-big') args.big = false;
    else if (a === '--threads') args.threads = num('--threads');
    else if (a === '--reps') args.reps = num('--reps');
    else if (a === '--no-block') args.block = false;
    else if (a === '--no-scipy') args.scipy = false;
    else if (a === '--block-only') args.blockOnly = true;
    else if (a === '--one-stage') args.oneStage = true;
    else if (a === '--spiked') args.spikedOnly = true;
    else if (a === '--paired') args.pairedOnly = true;
    else if (a === '--native') args.nativeOnly = true;
    else if (a === '--against') {
      args.against = argv[++i] ?? '';
      if (!args.against) throw new Error('--against needs a git revision');
    } else throw new Error(`unknown option ${a} (--quick, --no-big, --threads N, --reps N, --no-block, --no-scipy, --one-stage, --spiked, --paired, --against REV, --native)`);
  }
  if (args.quick) {
    args.block = false;
    args.scipy = false;
  }
  return args;
}

/** Float32 standard Gaussian matrix (Box-Muller on a seeded xoshiro stream), scaled by `std`. */
function gaussianMatrix(rows: number, cols: number, seed: number, std = 1): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i += 2) {
    const u = rng.nextFloat() || 1e-300;
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const t = 2 * Math.PI * rng.nextFloat();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells.map((r, i) => {
    const line = r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

async function benchShapes(args: Args): Promise<Map<string, { eigen: number; e2e: number }>> {
  const measured = new Map<string, { eigen: number; e2e: number }>();
  const shapes: [number, number][] = args.quick ? [[1024, 4096], [2048, 2048]] : [[1024, 4096], [4096, 4096], [4096, 11008]];
  if (args.big && !args.quick) shapes.push([8192, 8192]);
  const rows: (string | number)[][] = [];
  for (const [r, c] of shapes) {
    const w = gaussianMatrix(r, c, r * 31 + c);
    const n = Math.min(r, c);
    const k = Math.max(r, c);
    const reps = r * c >= 8192 * 8192 ? 1 : args.reps;
    const runs: Awaited<ReturnType<typeof eigenvaluesWasmDetailed>>[] = [];
    const totals: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      runs.push(await eigenvaluesWasmDetailed(w, r, c));
      totals.push((performance.now() - t0) / 1000);
    }
    const evals = runs[0].values;
    const pick = (f: (t: (typeof runs)[number]['timings']) => number) => median(runs.map((x) => f(x.timings)));
    const gram = pick((t) => t.gram_s);
    const tri = pick((t) => t.tridiag_s);
    const tql = pick((t) => t.tql_s);
    const band = pick((t) => t.band_s);
    const tf = performance.now();
    fitPowerLaw(evals);
    const fit = (performance.now() - tf) / 1000;
    const e2es: number[] = [];
    for (let i = 0; i < reps; i++) {
      const te = performance.now();
      await analyzeMatrix(w, r, c, { subject: `bench ${r}x${c}`, route: 'gram' });
      e2es.push((performance.now() - te) / 1000);
    }
    const e2e = median(e2es);
    const route = gramNeedsSvd(evals) ? 'svd*' : 'gram';
    measured.set(`${r}x${c}`, { eigen: median(totals), e2e });
    rows.push([
      `${r}x${c}`, fmt(median(totals)), fmt(gram), fmt(tri), runs[0].timings.reduction === 'two-stage' ? fmt(band) : '-', fmt(tql, 3), fmt(fit, 3), fmt(e2e), route,
      fmt((n * n * k) / gram / 1e9, 1), fmt(((4 / 3) * n ** 3) / tri / 1e9, 1), fmt(peakRssMb(), 0),
    ]);
    process.stderr.write(`  ${r}x${c} done\n`);
  }
  console.log(table(
    ['shape', 'eigen s', 'gram s', 'tridiag s', 'of which band s', 'ql s', 'fit s', 'end-to-end s', 'auto route', 'gram GF/s', 'reduction GF/s', 'peak RSS MB'],
    rows,
  ));
  console.log('  eigen s = median of the WASM eigenvalue step (copy + gram + tridiag + ql); end-to-end = median of analyzeMatrix on the Gram route');
  console.log('  (eigen + fit + every column). auto route: what eigen.ts would pick for this spectrum; svd* = lambda_min/lambda_max');
  console.log('  is below its Gram trust ratio (square Gaussians: ~1/(4n^2)), so production recomputes such a layer with the SVD.');
  console.log('  tridiag s = reduction to tridiagonal form; two-stage: dense -> band (matrix-matrix products) + band -> tridiagonal');
  console.log('  (bulge chasing, "of which band s"). GFLOP/s: Gram n²k (half Gram, 2 flops per multiply-add), reduction 4n³/3.');
  return measured;
}

// --- WeightWatcher's path for context ------------------------------------------------------------------

function printReference(): void {
  console.log('\nWeightWatcher path measured earlier on this machine (scipy.linalg.svd(W.astype(float64), compute_uv=False), not now):');
  console.log(table(['shape', 'seconds'], [['1024x4096', '~0.4'], ['4096x4096', '8-9.5'], ['4096x11008', '13-16']]));
}

/**
 * The environment of the WeightWatcher-path child: this process's, less OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE.
 * A machine may set those to pin an old OpenBLAS kernel (it slows numpy's SVD down by ~1.5-2x); WeightWatcher's users
 * run numpy with OpenBLAS's own CPU detection, so the baseline does too. Only this child's copy is changed.
 */
export function weightWatcherEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.OPENBLAS_CORETYPE;
  delete out.OPENBLAS_L2_SIZE;
  return out;
}

/** Python prelude: numpy + scipy or SKIP, and a KERNEL line naming the OpenBLAS core in use. */
const PY_PRELUDE = `
import sys, time
try:
    import numpy as np
    from scipy.linalg import svd
except Exception as e:
    print("SKIP", e); sys.exit(0)
def _kernel():
    try:
        from threadpoolctl import threadpool_info
        k = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} x{i.get('num_threads')}" for i in threadpool_info() if i.get('user_api') == 'blas']
        if k: return "; ".join(k) + " (threadpoolctl)"
    except Exception:
        pass
    try:
        import ctypes
        libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l.lower() and l.split()[-1].startswith('/')})
        names = []
        for p in libs:
            lib = ctypes.CDLL(p)
            for s in ('scipy_openblas_get_corename64_', 'scipy_openblas_get_corename', 'openblas_get_corename64_', 'openblas_get_corename'):
                f = getattr(lib, s, None)
                if f:
                    f.restype = ctypes.c_char_p
                    names.append(f"{p.rsplit('/', 1)[-1]}: {f().decode()}")
                    break
        if names: return "; ".join(names) + " (openblas_get_corename)"
    except Exception:
        pass
    return "unknown (no threadpoolctl, no OpenBLAS symbols)"
print("KERNEL", _kernel(), flush=True)
`;

function runPython(script: string, argv: string[]): Promise<{ out: string; seconds: number } | null> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('python3', ['-c', script, ...argv], { stdio: ['ignore', 'pipe', 'ignore'], env: weightWatcherEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', () => resolve(null));
    child.on('close', () => {
      const seconds = (performance.now() - t0) / 1000;
      resolve(out.startsWith('SKIP') || !out ? null : { out, seconds });
    });
  });
}

async function runScipy(shapes: [number, number][]): Promise<string | null> {
  const script = `${PY_PRELUDE}
rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    r, c = map(int, spec.split("x"))
    w = rng.standard_normal((r, c), dtype=np.float32)
    t = time.perf_counter()
    svd(w.astype(np.float64), compute_uv=False)
    print(f"{r}x{c} {time.perf_counter() - t:.2f}", flush=True)
`;
  return (await runPython(script, shapes.map(([r, c]) => `${r}x${c}`)))?.out ?? null;
}

/**
 * WeightWatcher's path as a whole process on one safetensors file: start python, import numpy + scipy, read the
 * tensor, W.astype(float64), scipy.linalg.svd(compute_uv=False). Returns the spawn-to-exit seconds, the SVD's own
 * seconds and the OpenBLAS kernel line.
 */
async function timeWeightWatcher(file: string): Promise<{ seconds: number; svd: number; kernel: string } | null> {
  const script = `${PY_PRELUDE}
import json, struct
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    name = next(k for k in header if k != "__metadata__")
    t = header[name]
    a, b = t["data_offsets"]
    f.seek(8 + n + a)
    w = np.frombuffer(f.read(b - a), dtype=np.float32).reshape(t["shape"])
t0 = time.perf_counter()
svd(w.astype(np.float64), compute_uv=False)
print(f"SVD {time.perf_counter() - t0:.3f}", flush=True)
`;
  const r = await runPython(script, [file]);
  if (!r) return null;
  const svd = /SVD ([0-9.]+)/.exec(r.out);
  const kernel = /KERNEL (.*)/.exec(r.out);
  return { seconds: r.seconds, svd: svd ? Number(svd[1]) : NaN, kernel: kernel ? kernel[1] : '?' };
}

// --- Outlier (spiked) layers, whole process ------------------------------------------------------------

/** The plain layer and the same layer plus σ·a·bᵀ (unit a, b), σ = factor × the bulk edge 0.02·(√rows + √cols). */
function spikedPair(rows: number, cols: number, factor: number): { plain: Float32Array; spiked: Float32Array } {
  const std = 0.02;
  const plain = gaussianMatrix(rows, cols, 2024, std);
  const rng = createRng(77);
  const a = new Float64Array(rows).map(() => rng.nextFloat() - 0.5);
  const b = new Float64Array(cols).map(() => rng.nextFloat() - 0.5);
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  const sigma = factor * std * (Math.sqrt(rows) + Math.sqrt(cols));
  const spiked = new Float32Array(plain.length);
  for (let i = 0; i < rows; i++) {
    const ai = (sigma * a[i]) / (na * nb);
    for (let j = 0; j < cols; j++) spiked[i * cols + j] = plain[i * cols + j] + ai * b[j];
  }
  return { plain, spiked };
}

/** How the CLI is started: through tsx (transpiling the TypeScript on every run) or the precompiled launcher. */
type CliMode = 'tsx' | 'precompiled' | 'against';
/** The launcher of the --against revision's CLI, once prepared. */
let againstCli: RevisionCli | null = null;
const CLI_TS = fileURLToPath(new URL('../cli/analyze.ts', import.meta.url));
const CLI_LAUNCHER = fileURLToPath(new URL('../cli/launch.mjs', import.meta.url));
const TSX_BIN = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

function cliModes(): CliMode[] {
  const own: CliMode[] = existsSync(CLI_LAUNCHER) ? ['precompiled', 'tsx'] : ['tsx'];
  return againstCli ? [...own, 'against'] : own;
}

function cliCommand(mode: CliMode, args: string[]): string[] {
  if (mode === 'against') return [againstCli!.launcher, ...args];
  return mode === 'precompiled' ? [CLI_LAUNCHER, ...args] : [TSX_BIN, CLI_TS, ...args];
}

function cliLabel(mode: CliMode, what: 'startup' | 'run'): string {
  if (mode === 'against') return what === 'startup' ? `${againstCli!.label}, precompiled` : `analyze --json at ${againstCli!.label}`;
  if (mode === 'precompiled') return what === 'startup' ? 'precompiled bundle (npm run analyze)' : 'analyze --json, precompiled (npm run analyze)';
  return what === 'startup' ? 'tsx lib/cli/analyze.ts (transpiles each run)' : 'analyze --json through tsx';
}

/** Seconds from spawn to exit of `analyze <args>` (the CLI as `npm run analyze` starts it, or through tsx). */
function timeCli(file: string | string[], mode: CliMode = cliModes()[0], env: NodeJS.ProcessEnv = process.env): Promise<{ seconds: number; alpha: number | null }> {
  const argv = Array.isArray(file) ? file : [file, '--json'];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, cliCommand(mode, argv), { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`analyze ${argv.join(' ')} exited with code ${code}`));
      const m = /"alpha":\s*(-?[0-9.eE+-]+)/.exec(out);
      resolve({ seconds, alpha: m ? Number(m[1]) : null });
    });
  });
}

/**
 * The native kernels (lib/spectral/native) against the WebAssembly ones in one process: two pools, the same float32
 * Gaussian matrix, alternating `reps` times per shape. Prints each run's eigenvalue seconds split into Gram, dense ->
 * band (the two kernels that differ) and bulge chasing, and how many eigenvalues of the two are bitwise equal.
 */
async function benchNativeVsWasm(args: Args): Promise<void> {
  const pools = { native: new KernelPool({ threads: args.threads, native: true }), wasm: new KernelPool({ threads: args.threads, native: false }) };
  console.log(`native kernels: ${nativeKernelsLine(pools.native)}`);
  console.log(`against:        ${nativeKernelsLine(pools.wasm)}\n`);
  const rows: string[][] = [];
  for (const [r, c] of [[4096, 4096], [4096, 11008]] as const) {
    const w = gaussianMatrix(r, c, 42, 0.02);
    const values: Record<string, Float64Array> = {};
    for (let rep = 0; rep < args.reps; rep++) {
      for (const name of rep % 2 === 0 ? (['native', 'wasm'] as const) : (['wasm', 'native'] as const)) {
        const t0 = performance.now();
        const { values: v, timings: t } = await pools[name].eigenvalues(w, r, c);
        const total = (performance.now() - t0) / 1000;
        values[name] = v;
        rows.push([`${r}x${c}`, name, fmt(total, 2), fmt(t.gram_s, 2), fmt(t.tridiag_s - t.band_s, 2), fmt(t.band_s, 2)]);
      }
    }
    let same = 0;
    for (let i = 0; i < values.native.length; i++) if (Object.is(values.native[i], values.wasm[i])) same++;
    rows.push([`${r}x${c}`, 'bitwise equal eigenvalues', `${same} of ${values.native.length}`, '', '', '']);
  }
  console.log(table(['shape', 'kernels', 'eigenvalues s', 'Gram s', 'dense -> band s', 'bulge chasing s'], rows));
  await pools.native.shutdown();
  await pools.wasm.shutdown();
}

/**
 * The judged figure: whole processes, paired. A float32 4096x11008 layer in a safetensors file; per rep, in alternating
 * order, `analyze <file> --json` (the CLI as `npm run analyze` starts it) and WeightWatcher's path as its users run it
 * (python3 + numpy/scipy, OpenBLAS with its own CPU detection). Also the CLI's start-up (`--help`) per launcher.
 */
async function benchPaired(args: Args): Promise<void> {
  const [rows, cols] = [4096, 11008];
  console.log(`\nWhole process, paired (same run, alternating order, medians of ${args.reps}): float32 ${rows}x${cols}`);
  console.log(nativeKernelsLine(getPool()));
  const modes = cliModes();
  const startup = new Map<CliMode, number[]>(modes.map((m) => [m, []]));
  for (let i = 0; i < Math.max(3, args.reps); i++) {
    for (const m of i % 2 ? [...modes].reverse() : modes) startup.get(m)!.push((await timeCli(['--help'], m)).seconds);
  }
  console.log(table(['CLI start-up (analyze --help)', 'seconds (median)', 'runs'], modes.map((m) => [
    cliLabel(m, 'startup'), fmt(median(startup.get(m)!), 3), startup.get(m)!.map((x) => fmt(x, 3)).join(' '),
  ])));
  const dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-paired-'));
  try {
    const file = path.join(dir, 'layer.safetensors');
    const w = gaussianMatrix(rows, cols, rows * 31 + cols, 0.02);
    await writeSafetensorsFile(file, [{ name: 'layer.weight', dtype: 'F32', shape: [rows, cols], raw: new Uint8Array(w.buffer) }]);
    const ours = new Map<CliMode, number[]>(modes.map((m) => [m, []]));
    const ww: number[] = [];
    const svd: number[] = [];
    let kernel = '';
    const order: ('ww' | CliMode)[] = [...modes, 'ww'];
    for (let i = 0; i < args.reps; i++) {
      // rotate the order every rep, so no process always runs right after the same one
      for (const which of order.map((_, j) => order[(i + j) % order.length])) {
        if (which !== 'ww') {
          const r = await timeCli(file, which);
          ours.get(which)!.push(r.seconds);
          process.stderr.write(`  analyze (${which}) ${r.seconds.toFixed(2)} s\n`);
        } else {
          const r = await timeWeightWatcher(file);
          if (!r) {
            console.log('  (python3 with numpy + scipy not importable: no WeightWatcher-path comparison)');
            return;
          }
          ww.push(r.seconds);
          svd.push(r.svd);
          kernel = r.kernel;
          process.stderr.write(`  WeightWatcher path ${r.seconds.toFixed(2)} s (svd ${r.svd.toFixed(2)} s)\n`);
        }
      }
    }
    const w0 = median(ww);
    console.log(`  WeightWatcher path: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment; OpenBLAS kernel ${kernel}`);
    console.log(table(['process', 'whole process s (median)', 'runs', 'ratio to WW'], [
      ...modes.map((m) => [
        cliLabel(m, 'run'), fmt(median(ours.get(m)!)), ours.get(m)!.map((x) => fmt(x)).join(' '), fmt(median(ours.get(m)!) / w0, 3),
      ]),
      ['WeightWatcher path (python: read, astype f64, svd)', fmt(w0), ww.map((x) => fmt(x)).join(' '), '1'],
      ['  of which scipy svd (kernel)', fmt(median(svd)), svd.map((x) => fmt(x)).join(' '), fmt(median(svd) / w0, 3)],
    ]));
    console.log(`  whole-process ratio ${fmt(median(ours.get(modes[0])!) / w0, 3)} (target <= 0.40); the products are n²k + 4n³/3 = 277 GFLOP: ` +
      '5.9 s at the 128-bit WebAssembly SIMD peak of 2 cores (~47 GFLOP/s here), less with the native kernels (wider vectors)');
    if (againstCli) {
      const then = median(ours.get('against')!);
      const now = median(ours.get(modes[0])!);
      console.log(`  this checkout against ${againstCli.label}: ${fmt(now)} s vs ${fmt(then)} s, ${fmt(now / then, 3)}x the time (same run)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchSpiked(args: Args): Promise<void> {
  const [rows, cols, factor] = [2048, 5504, 300];
  console.log(`\nOutlier layers, whole CLI process (analyze --json), float32 ${rows}x${cols} N(0, 0.02²), spike ${factor}x the bulk edge:`);
  const dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-spiked-'));
  try {
    const { plain, spiked } = spikedPair(rows, cols, factor);
    const files = { plain: path.join(dir, 'plain.safetensors'), spiked: path.join(dir, 'spiked.safetensors') };
    const raw = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    await writeSafetensorsFile(files.plain, [{ name: 'layer.weight', dtype: 'F32', shape: [rows, cols], raw: raw(plain) }]);
    await writeSafetensorsFile(files.spiked, [{ name: 'layer.weight', dtype: 'F32', shape: [rows, cols], raw: raw(spiked) }]);
    const times = { plain: [] as number[], spiked: [] as number[] };
    const alphas = { plain: null as number | null, spiked: null as number | null };
    for (let i = 0; i < args.reps; i++) {
      for (const which of i % 2 === 0 ? (['plain', 'spiked'] as const) : (['spiked', 'plain'] as const)) {
        const r = await timeCli(files[which]);
        times[which].push(r.seconds);
        alphas[which] = r.alpha;
        process.stderr.write(`  ${which} ${r.seconds.toFixed(2)} s\n`);
      }
    }
    const p = median(times.plain);
    const q = median(times.spiked);
    console.log(table(
      ['layer', 'whole process s (median)', 'runs', 'alpha'],
      [
        [`${rows}x${cols} plain`, fmt(p), times.plain.map((x) => fmt(x)).join(' '), alphas.plain === null ? '-' : fmt(alphas.plain, 4)],
        [`${rows}x${cols} + ${factor}x spike`, fmt(q), times.spiked.map((x) => fmt(x)).join(' '), alphas.spiked === null ? '-' : fmt(alphas.spiked, 4)],
      ],
    ));
    console.log(`  spiked / plain = ${fmt(q / p)} (same run, alternating order; target <= 1.5)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// --- 7B-shaped block ------------------------------------------------------------------------------------

const LLAMA_BLOCK: { name: string; shape: [number, number] }[] = [
  { name: 'model.layers.0.self_attn.q_proj.weight', shape: [4096, 4096] },
  { name: 'model.layers.0.self_attn.k_proj.weight', shape: [4096, 4096] },
  { name: 'model.layers.0.self_attn.v_proj.weight', shape: [4096, 4096] },
  { name: 'model.layers.0.self_attn.o_proj.weight', shape: [4096, 4096] },
  { name: 'model.layers.0.mlp.gate_proj.weight', shape: [11008, 4096] },
  { name: 'model.layers.0.mlp.up_proj.weight', shape: [11008, 4096] },
  { name: 'model.layers.0.mlp.down_proj.weight', shape: [4096, 11008] },
];

/** float32 -> bf16 bytes, round to nearest even (finite input). */
function toBf16Bytes(x: Float32Array): Uint8Array {
  const u32 = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = u32[i];
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return new Uint8Array(out.buffer);
}

/**
 * Test tensors for the block, ~N(0, 0.02²): rows are windows of one pool of 2^22 Box-Muller values at
 * random offsets with random sign flips (generating 200M fresh Gaussians in JS would take minutes);
 * square ones get a random signed-permutation component of norm 2.2·0.02·√n so that σ_min stays well
 * away from 0 (a square Gaussian's λ_min/λ_max ≈ 1/(4n²) would send it to the SVD route, which trained
 * attention matrices do not need). The eigenvalue cost does not depend on the spectrum's shape.
 */
let gaussianPool: Float32Array | null = null;
function blockTensor(rows: number, cols: number, seed: number): Float32Array {
  const POOL = (gaussianPool ??= gaussianMatrix(1, 1 << 22, 4242, 0.02));
  const rng = createRng(seed);
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const start = rng.nextBelow(POOL.length - cols);
    const row = i * cols;
    let bits = 0;
    for (let j = 0; j < cols; j++) {
      if ((j & 31) === 0) bits = rng.nextUint32();
      const x = POOL[start + j];
      w[row + j] = (bits >>> (j & 31)) & 1 ? -x : x;
    }
  }
  if (rows === cols) {
    const perm = Array.from({ length: rows }, (_, i) => i);
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.nextBelow(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const c = 2.2 * 0.02 * Math.sqrt(rows);
    for (let i = 0; i < rows; i++) w[i * cols + perm[i]] += rng.nextFloat() < 0.5 ? -c : c;
  }
  return w;
}

async function writeBlock(file: string): Promise<void> {
  const specs = LLAMA_BLOCK.map(({ name, shape }, i) => ({
    name,
    dtype: 'BF16' as const,
    shape,
    get raw() {
      return toBf16Bytes(blockTensor(shape[0], shape[1], 1000 + i));
    },
  }));
  await writeSafetensorsFile(file, specs);
}

/** Runs in a child process (--block-only) so that its peak RSS is the block's alone. */
async function benchBlockChild(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-bench-'));
  try {
    const file = path.join(dir, 'model.safetensors');
    const tw = performance.now();
    await writeBlock(file);
    const writeS = (performance.now() - tw) / 1000;
    const rssAfterWrite = peakRssMb();
    const source = await openLocalSource(file);
    const rows: (string | number)[][] = [];
    let total = 0;
    for (const entry of source.tensors) {
      const t0 = performance.now();
      const tensor = await source.read(entry, { keepBf16: true });
      const t1 = performance.now();
      const { timings, route } = await analyzeMatrix(tensor.data, tensor.rows, tensor.cols, { subject: entry.name });
      const { eigen_s: eigen, fit_s: fit } = timings;
      const t2 = performance.now();
      const s = (t2 - t0) / 1000;
      total += s;
      rows.push([entry.name, `${tensor.rows}x${tensor.cols}`, fmt((t1 - t0) / 1000), fmt(eigen), fmt(fit, 3), route, fmt(s), fmt(peakRssMb(), 0)]);
    }
    console.log(table(['tensor (BF16)', 'shape', 'read s', 'eigen s', 'fit s', 'route', 'total s', 'peak RSS MB'], rows));
    console.log(`  block total ${fmt(total)} s -> projected 32 blocks (224 matrices): ${fmt((total * 32) / 60, 1)} min`);
    console.log(`  peak RSS ${fmt(peakRssMb(), 0)} MB (after writing the ${fmt(writeS, 1)} s test file: ${fmt(rssAfterWrite, 0)} MB); bound 1536 MB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await shutdown();
  }
}

function benchBlock(args: Args): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const childArgs = [...process.execArgv, self, '--block-only'];
  if (args.threads) childArgs.push('--threads', String(args.threads));
  if (args.oneStage) childArgs.push('--one-stage');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`block benchmark exited with code ${code}`))));
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!wasmAvailable()) throw new Error('WebAssembly kernels unavailable: run `npm run build:wasm` (needs lib/spectral/wasm/build/spectral.wasm)');
  if (args.threads || args.oneStage) {
    await configurePool({ threads: args.threads, reduction: args.oneStage ? 'one-stage' : undefined });
  }
  if (args.blockOnly) {
    await benchBlockChild();
    return;
  }
  const { availableParallelism, loadavg } = await import('node:os');
  console.log(`alphaboard spectral bench — ${availableParallelism()} cores, threads ${args.threads ?? 'default (min(2, cores))'}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (args.nativeOnly) {
    await benchNativeVsWasm(args);
    return;
  }
  if (args.spikedOnly) {
    await benchSpiked(args);
    return;
  }
  if (args.against) {
    process.stderr.write(`  preparing the CLI of ${args.against} (git worktree, shared node_modules) ...\n`);
    againstCli = await prepareRevisionCli(args.against);
    process.on('exit', () => againstCli?.cleanup());
  }
  if (args.pairedOnly) {
    await benchPaired(args);
    againstCli?.cleanup();
    return;
  }
  const variant = wasmVariant();
  const pool = getPool();
  console.log(`reduction: ${pool.reduction}${pool.reduction === 'two-stage' ? ` (band half-width ${pool.bandwidth})` : ''}; --one-stage or ALPHABOARD_REDUCTION=one-stage for the blocked one-stage one`);
  console.log(`kernels: ${variant === 'fma' ? 'spectral-fma.wasm (fused multiply-add, relaxed SIMD)' : 'spectral.wasm (SIMD mul + add)'}; ALPHABOARD_WASM_FMA=0 forces the plain build`);
  console.log(nativeKernelsLine(pool));
  console.log('Float32 Gaussian matrices, all eigenvalues of WᵀW in float64:\n');
  const measured = await benchShapes(args);
  printReference();
  if (args.scipy) {
    const shapes: [number, number][] = [[1024, 4096], [4096, 4096], [4096, 11008]];
    process.stderr.write('  timing scipy (python3) ...\n');
    const out = await runScipy(shapes);
    if (out) {
      const kernel = /^KERNEL (.*)$/m.exec(out)?.[1] ?? '?';
      console.log('\nscipy.linalg.svd(float64, compute_uv=False) now, same shapes (WeightWatcher\'s CPU path, kernel time only;');
      console.log(`OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment; OpenBLAS kernel: ${kernel}).`);
      console.log('Not paired: scipy runs after the table above, so the load differs; the whole-process pair below is the judged figure:');
      const rows = out.trim().split('\n').filter((l) => !l.startsWith('KERNEL')).map((l) => l.split(' '));
      console.log(table(
        ['shape', 'seconds', 'alphaboard analyzeMatrix s', 'kernel ratio'],
        rows.map(([shape, sec]) => {
          const ours = measured.get(shape);
          return [shape, sec, ours ? fmt(ours.e2e) : '-', ours ? fmt(ours.e2e / Number(sec)) : '-'];
        }),
      ));
    } else {
      console.log('\n(python3 with numpy + scipy not importable: live WeightWatcher-path comparison skipped)');
    }
  }
  await shutdown();
  if (args.scipy) await benchPaired(args);
  againstCli?.cleanup();
  againstCli = null;
  if (!args.quick) await benchSpiked(args);
  if (args.block) {
    console.log('\n7B-shaped block (Llama-2-7B layer 0 shapes, BF16 safetensors, one tensor at a time, own process):');
    await benchBlock(args);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
