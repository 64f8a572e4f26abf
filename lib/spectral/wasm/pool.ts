/**
 * Worker-thread pool for the WebAssembly eigenvalue kernels.
 *
 * One shared WebAssembly.Memory holds two slab buffers of the matrix (SLAB_BYTES of its inner
 * dimension each: the host copies the next slab into one while the workers add the other to the Gram
 * matrix), the Gram matrix and the work areas; it grows to the largest job seen (never beyond two
 * slabs + the Gram + O(n·b) work, so a 32000 x 4096 embedding costs the same 134 MB of Gram as a
 * 4096² layer) and is reused between calls. A job is two or more rounds of messages to the workers:
 * one `gram` per slab, then `reduce` (tridiagonal reduction, two-stage by default). The tridiagonal
 * (2n numbers) is then copied out and the pool takes the next job at once, while the root-free QL of
 * this one runs on the calling thread (the same kernel code on a small private memory: bitwise the
 * result it had on a worker), so a caller with the next layer queued keeps both cores busy instead of
 * leaving one idle during QL. The outlier scan's pass over W (deflate.ts) runs on that private memory
 * too (`scanPassWasm`). A job given an AbortSignal stops at its next round (the speculative
 * solve of eigen-js.ts).
 * N = min(2, availableParallelism()) workers (override with ALPHABOARD_WASM_THREADS or
 * `configurePool`) are spawned lazily, `unref()`ed so they never keep a process alive, and run each
 * round together (SPMD, synchronised inside WebAssembly). Jobs are serialised: the memory is shared.
 *
 * Kernel builds: spectral-fma.wasm (fused multiply-add through relaxed SIMD) where V8 accepts it,
 * else spectral.wasm; see wasmVariant().
 *
 * File locations: the worker script and the .wasm files are looked up next to this module first and
 * then under `<root>/lib/spectral/wasm/` with root = ALPHABOARD_ROOT or process.cwd(), because a
 * bundled server (Next.js) moves this module away from its siblings.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { fillDeflated, splitLowRank, type LowRank } from '../low-rank';
import { asFloat, Bf16Matrix, type WeightMatrix } from '../bf16-matrix';
import { nativeKernels, type NativeAddon } from '../native/native-kernels';

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: wasm32 address space
const RESERVED = 1 << 20; // first MiB left to the module's own statics
/** Where every job's control block lies (planLayout takes it first). */
const CTRL = RESERVED;
/** Per-thread scratch of dense-band.ts's Y column part (T_ROWS = 256 rows x 4 f64). */
const Y_TRANSPOSE_BYTES = 256 * 4 * 8;

export interface EigenJobTimings {
  /** seconds spent copying the input into shared memory */
  copy_s: number;
  gram_s: number;
  tridiag_s: number;
  tql_s: number;
  /** thread 0's split of tridiag_s: column update + reflector, symmetric product, panel corrections, rank-2k update, barrier waits */
  tridiag_phases_s: { reflector: number; symv: number; corrections: number; rank2k: number; wait: number };
  /** which reduction ran; for `two-stage`, tridiag_phases_s splits stage 1 (reflector = panel factorization,
   *  symv = Y = A·V, corrections = small products and packs) and band_s is stage 2 (band -> tridiagonal) */
  reduction: Reduction;
  band_s: number;
}

export interface PoolOptions {
  threads?: number;
  /** panel width of the tridiagonal reduction */
  nb?: number;
  /** inner-dimension chunk of the Gram kernel */
  kc?: number;
  /** kernel build (default: wasmVariant()) */
  variant?: WasmVariant;
  /**
   * reduction to tridiagonal form: `two-stage` (dense -> band of half-bandwidth `bandwidth` with
   * matrix-matrix products, then bulge chasing; the default) or `one-stage` (blocked dsytrd)
   */
  reduction?: Reduction;
  /** half-bandwidth of the two-stage reduction's band (a multiple of 4) */
  bandwidth?: number;
  /** inner blocking of the two-stage reduction's product Y = A·V */
  kcBand?: number;
  /** bytes of W copied into WebAssembly memory at a time (default SLAB_BYTES) */
  slabBytes?: number;
  /**
   * the Gram matrix and the dense -> band reduction by the native kernels (lib/spectral/native: the same kernels
   * compiled for this CPU's full vector width) where they are available (default true; ALPHABOARD_NATIVE=0 turns them
   * off); false: the WebAssembly kernels
   */
  native?: boolean;
}

export type Reduction = 'one-stage' | 'two-stage';

interface Layout {
  /** src, src2: two slab buffers (the next slab is copied into one while the Gram kernel reads the other) */
  ctrl: number; src: number; src2: number; g: number; ld: number; pack0: number; pack1: number;
  d: number; e: number; wb: number; vp: number; wp: number; vbuf: number; ybuf: number; scr: number;
  /** two-stage work: V, packed V, Y, W (ld·bw each), small (b x b blocks), band-chasing scratch and control block */
  vc: number; vpk: number; ys: number; ws: number; small: number; tb: number; bandWork: number; bandCtrl: number;
  end: number;
}

function siblingDir(): string | null {
  try {
    const url = import.meta.url;
    if (typeof url === 'string' && url.startsWith('file:')) return path.dirname(fileURLToPath(url));
  } catch {
    // not an ES module context with a file URL (bundled): fall through
  }
  return null;
}

/** Absolute path of a file shipped in lib/spectral/wasm/, or null when it cannot be found. */
export function resolveWasmFile(rel: string): string | null {
  const dirs: string[] = [];
  const sib = siblingDir();
  if (sib) dirs.push(sib);
  const root = process.env.ALPHABOARD_ROOT ?? process.cwd();
  dirs.push(path.join(root, 'lib', 'spectral', 'wasm'));
  for (const dir of dirs) {
    const p = path.join(dir, rel);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Which build of the kernels a pool runs: `fma` (build/spectral-fma.wasm, multiply-adds fused
 * through relaxed SIMD: one rounding instead of two, one instruction instead of two) or `plain`
 * (build/spectral.wasm, SIMD + threads only).
 */
export type WasmVariant = 'fma' | 'plain';

const WASM_FILES: Record<WasmVariant, string> = { fma: 'build/spectral-fma.wasm', plain: 'build/spectral.wasm' };
const cachedModules = new Map<WasmVariant, WebAssembly.Module | null>();

/**
 * Compiles the kernels with V8's optimizing compiler up front. By default V8 compiles WebAssembly
 * lazily with its baseline compiler (Liftoff) and tiers a function up only on a later call; our
 * kernels are each called once per matrix and run for seconds, so they would run entirely as
 * baseline code (measured 3-4x slower). The flags are set only around this compilation and then
 * restored to V8's defaults, so other WebAssembly in the process (PGlite) is unaffected.
 */
function compileOptimized(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  v8.setFlagsFromString('--no-liftoff');
  v8.setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    v8.setFlagsFromString('--liftoff');
    v8.setFlagsFromString('--wasm-lazy-compilation');
  }
}

/**
 * Makes V8 accept `bytes` (the fma build), turning relaxed SIMD on when it is off: Node 20 ships it
 * behind --experimental-wasm-relaxed-simd. The flag is process-wide (worker threads included, and
 * they receive the compiled module, so they compile nothing) and only widens what validates, so it
 * stays on; it is turned back off when the module still does not validate. False where this V8
 * cannot run the module.
 */
function acceptRelaxedSimd(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  if (WebAssembly.validate(bytes)) return true;
  v8.setFlagsFromString('--no-experimental-wasm-relaxed-simd');
  return false;
}

/** The compiled module of one build, or null where its file is missing or the runtime cannot run it. */
export function loadKernelModule(variant: WasmVariant | null = wasmVariant()): WebAssembly.Module | null {
  if (variant === null) return null;
  const known = cachedModules.get(variant);
  if (known !== undefined) return known;
  let module: WebAssembly.Module | null = null;
  try {
    const file = resolveWasmFile(WASM_FILES[variant]);
    if (typeof SharedArrayBuffer !== 'undefined' && file && resolveWasmFile('worker.mjs')) {
      const bytes = new Uint8Array(readFileSync(file));
      const ok = variant === 'fma' ? acceptRelaxedSimd(bytes) : WebAssembly.validate(bytes);
      if (ok) module = compileOptimized(bytes);
    }
  } catch {
    module = null;
  }
  cachedModules.set(variant, module);
  return module;
}

/**
 * The build pools use by default: `fma` when relaxed SIMD can be enabled and the fma module
 * compiles, else `plain`; null when neither runs here. ALPHABOARD_WASM_FMA=0 forces `plain`.
 */
export function wasmVariant(): WasmVariant | null {
  if (process.env.ALPHABOARD_WASM_FMA !== '0' && loadKernelModule('fma')) return 'fma';
  return loadKernelModule('plain') ? 'plain' : null;
}

const align = (x: number, a: number) => Math.ceil(x / a) * a;

/** Bytes of one slab buffer of W in WebAssembly memory (there are two: one filled while the other is read). */
export const SLAB_BYTES = 32 << 20;

/** Inner-dimension width of a slab: a multiple of kc with n·width·bpe <= slabBytes (at least kc), at most k. */
function slabWidth(n: number, k: number, bpe: number, kc: number, slabBytes: number): number {
  const chunks = Math.max(1, Math.floor(slabBytes / (n * bpe * kc)));
  return Math.min(k, chunks * kc);
}

/** Element types of W in kernel memory (gram.ts's SRC_*). */
const SRC_F32 = 0;
const SRC_F64 = 1;
const SRC_BF16 = 2;

/** W's entries as the typed array the kernels read (BF16 as its bits) and its source type. */
function kernelSource(data: WeightMatrix): { array: Float32Array | Float64Array | Uint16Array; srcType: number } {
  if (data instanceof Bf16Matrix) return { array: data.bits, srcType: SRC_BF16 };
  return { array: data, srcType: data instanceof Float64Array ? SRC_F64 : SRC_F32 };
}

/**
 * Copies the slab [kBegin, kEnd) of W's inner dimension to `at`: W's rows kBegin..kEnd-1 (contiguous)
 * when rows > cols (A = Wᵀ), else W's columns kBegin..kEnd-1 of every row, packed rows x width.
 */
function copySlab(mem: WebAssembly.Memory, at: number, data: Float32Array | Float64Array | Uint16Array, rows: number, cols: number, kBegin: number, kEnd: number): void {
  const Ctor = data instanceof Float64Array ? Float64Array : data instanceof Uint16Array ? Uint16Array : Float32Array;
  const width = kEnd - kBegin;
  if (rows > cols) {
    new Ctor(mem.buffer, at, width * cols).set(data.subarray(kBegin * cols, kEnd * cols));
    return;
  }
  const dst = new Ctor(mem.buffer, at, rows * width);
  if (width === cols) {
    dst.set(data);
    return;
  }
  for (let i = 0; i < rows; i++) dst.set(data.subarray(i * cols + kBegin, i * cols + kEnd), i * width);
}

function planLayout(rows: number, cols: number, bytesPerElement: number, slab: number, threads: number, nb: number, kc: number, bw: number): Layout {
  const n = Math.min(rows, cols);
  const pw = Math.max(nb, bw); // width of the rank-2k packs (panel of either reduction)
  const ld = align(n, 4) + 4;
  let off = RESERVED;
  const take = (bytes: number) => {
    const at = off;
    off = align(off + bytes, 64);
    return at;
  };
  const ctrl = take(64); // = CTRL
  const d = take(ld * 8);
  const e = take(ld * 8);
  const vbuf = take(ld * 8);
  const scr = take(threads * (2 * nb + 8) * 8);
  const ybuf = take(threads * ld * 8);
  const wb = take(ld * nb * 8);
  const vp = take(ld * 2 * pw * 8);
  const wp = take(ld * 2 * pw * 8);
  const vc = take(ld * bw * 8);
  const vpk = take(ld * bw * 8);
  const ys = take(threads * ld * bw * 8); // one copy of Y = A22·V per thread (dense-band.ts)
  const ws = take(ld * bw * 8);
  const small = take(((5 + threads) * bw * bw + bw + 3 * threads) * 8);
  const tb = take(threads * Y_TRANSPOSE_BYTES);
  const bandWork = take((ld * (3 * bw + 8) + 64 + 5 * threads * (bw + 4)) * 8);
  const bandCtrl = take(16 + 8 * threads);
  const pack0 = take(ld * kc * 8);
  const pack1 = take(ld * kc * 8);
  const g = take(ld * ld * 8);
  const src = take(n * slab * bytesPerElement);
  const src2 = take(n * slab * bytesPerElement);
  return { ctrl, src, src2, g, ld, pack0, pack1, d, e, wb, vp, wp, vbuf, ybuf, scr, vc, vpk, ys, ws, small, tb, bandWork, bandCtrl, end: off };
}

interface Pending {
  resolve: (msg: WorkerReply) => void;
  reject: (err: Error) => void;
}

interface WorkerReply {
  id: number;
  ok: boolean;
  error?: string;
  timings?: { gram_ms: number; tridiag_ms?: number; phases_ms?: number[]; stage2_ms?: number };
}

/** What the workers leave of a job: the tridiagonal (d: diagonal, e: off-diagonal) and the times. */
interface KernelJobResult {
  d: Float64Array;
  e: Float64Array;
  timings: EigenJobTimings;
}

type ScanRows = (src: number, rows: number, cols: number, x: number, y: number, z: number, wantFro: number, fro: number) => number;

/** Bytes of W's rows copied into the calling thread's kernel memory at a time by the outlier scan's pass. */
const SCAN_BLOCK_BYTES = 8 << 20;

/**
 * Kernels that run on the calling thread, on a small shared memory of their own (the same compiled module as the
 * workers'): the root-free QL of a job's tridiagonal (tql.ts; bitwise what a worker would compute) and the outlier
 * scan's pass over W (scan.ts; bitwise what deflate.ts's JS pass computes).
 */
class LocalKernels {
  private readonly memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
  private readonly tql: (n: number, d: number, e: number) => number;
  private readonly scanRows: ScanRows;
  private readonly scanRowsBf16: ScanRows;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, now: () => performance.now() } });
    this.tql = instance.exports.tqlRootFree as LocalKernels['tql'];
    this.scanRows = instance.exports.scanRowsF32 as ScanRows;
    this.scanRowsBf16 = instance.exports.scanRowsBf16 as ScanRows;
  }

  private reserve(bytes: number): ArrayBuffer {
    const need = RESERVED + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    return this.memory.buffer as ArrayBuffer;
  }

  /** Ascending eigenvalues of the tridiagonal (d, e); e[n-1] is ignored. */
  eigenvalues(d: Float64Array, e: Float64Array): Float64Array {
    const n = d.length;
    const buffer = this.reserve(16 * n + 64);
    const dAt = RESERVED;
    const eAt = RESERVED + 8 * n;
    new Float64Array(buffer, dAt, n).set(d);
    new Float64Array(buffer, eAt, n).set(e);
    const failed = this.tql(n, dAt, eAt);
    if (failed) throw new Error(`tridiagonal QL did not converge (eigenvalue ${failed - 1} of ${n})`);
    return new Float64Array(this.memory.buffer, dAt, n).slice().sort();
  }

  /**
   * One pass of the outlier scan over a float32 or BF16 W (rows x cols): y = W·X (rows x 2), z = Wᵀ·y (cols x 2),
   * both interleaved as X, and the sum of squares of W's entries when `wantFro` (else 0). W enters the kernel memory
   * SCAN_BLOCK_BYTES of rows at a time (BF16 as its bits, converted in the kernel).
   */
  scanPass(data: Float32Array | Bf16Matrix, rows: number, cols: number, x: Float64Array, y: Float64Array, z: Float64Array, wantFro: boolean): number {
    const w = data instanceof Bf16Matrix ? data.bits : data;
    const scanRows = data instanceof Bf16Matrix ? this.scanRowsBf16 : this.scanRows;
    const Ctor = w instanceof Uint16Array ? Uint16Array : Float32Array;
    const bpe = Ctor.BYTES_PER_ELEMENT;
    const block = Math.max(4, Math.floor(SCAN_BLOCK_BYTES / (bpe * cols)));
    const xAt = RESERVED;
    const zAt = xAt + 16 * cols;
    const yAt = zAt + 16 * cols;
    const wAt = yAt + 16 * block;
    const buffer = this.reserve(wAt - RESERVED + bpe * block * cols);
    new Float64Array(buffer, xAt, 2 * cols).set(x.subarray(0, 2 * cols));
    new Float64Array(buffer, zAt, 2 * cols).fill(0);
    let fro = 0;
    for (let i0 = 0; i0 < rows; i0 += block) {
      const count = Math.min(block, rows - i0);
      new Ctor(buffer, wAt, count * cols).set(w.subarray(i0 * cols, (i0 + count) * cols));
      fro = scanRows(wAt, count, cols, xAt, yAt, zAt, wantFro ? 1 : 0, fro);
      y.set(new Float64Array(buffer, yAt, 2 * count), 2 * i0);
    }
    z.set(new Float64Array(buffer, zAt, 2 * cols));
    return fro;
  }
}

const callerKernels = new Map<WasmVariant, LocalKernels>();

/** This thread's LocalKernels of a build (one per build and thread; null where the kernels do not run here). */
function localKernels(variant: WasmVariant | null = wasmVariant()): LocalKernels | null {
  if (!variant) return null;
  const known = callerKernels.get(variant);
  if (known) return known;
  const module = loadKernelModule(variant);
  if (!module) return null;
  const kernels = new LocalKernels(module);
  callerKernels.set(variant, kernels);
  return kernels;
}

/**
 * deflate.ts's scan pass (two columns) over a float32 or BF16 W in WebAssembly SIMD on the calling thread: the same
 * numbers bit for bit (BF16: those of its float32 decoding). Throws where the kernels do not run (eigen-wasm.ts offers
 * it only beside the kernels).
 */
export function scanPassWasm(data: Float32Array | Bf16Matrix, rows: number, cols: number, x: Float64Array, y: Float64Array, z: Float64Array, wantFro: boolean): number {
  const kernels = localKernels();
  if (!kernels) throw new Error('WebAssembly kernels unavailable');
  return kernels.scanPass(data, rows, cols, x, y, z, wantFro);
}

export class KernelPool {
  readonly threads: number;
  readonly nb: number;
  readonly kc: number;
  readonly reduction: Reduction;
  readonly bandwidth: number;
  readonly kcBand: number;
  readonly slabBytes: number;
  private readonly requestedVariant: WasmVariant | undefined;
  private readonly wantNative: boolean;
  private memory: WebAssembly.Memory | null = null;
  private workers: Worker[] = [];
  private pending = new Map<string, Pending>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: PoolOptions = {}) {
    const envThreads = Number(process.env.ALPHABOARD_WASM_THREADS);
    const want = options.threads ?? (Number.isFinite(envThreads) && envThreads > 0 ? envThreads : 2);
    this.threads = Math.max(1, Math.min(want, Math.max(1, availableParallelism())));
    this.nb = options.nb ?? 32;
    this.kc = options.kc ?? 256;
    const envReduction = process.env.ALPHABOARD_REDUCTION;
    this.reduction = options.reduction ?? (envReduction === 'one-stage' ? 'one-stage' : 'two-stage');
    const envBw = Number(process.env.ALPHABOARD_BANDWIDTH);
    const bw = options.bandwidth ?? (Number.isInteger(envBw) && envBw > 0 ? envBw : 32);
    if (!(Number.isInteger(bw) && bw >= 4 && bw % 4 === 0)) throw new RangeError(`bandwidth must be a positive multiple of 4, got ${bw}`);
    this.bandwidth = bw;
    const envKcb = Number(process.env.ALPHABOARD_KC_BAND);
    this.kcBand = options.kcBand ?? (Number.isInteger(envKcb) && envKcb > 0 ? envKcb : 64);
    this.slabBytes = options.slabBytes ?? SLAB_BYTES;
    this.requestedVariant = options.variant;
    this.wantNative = options.native ?? true;
  }

  /** Which kernel forms the Gram matrix: `native` (lib/spectral/native/gram.c) or `wasm` (gram.ts). */
  get gramKernel(): 'native' | 'wasm' {
    return this.wantNative && nativeKernels() ? 'native' : 'wasm';
  }

  /**
   * Which kernel reduces the Gram matrix to a band: `native` (lib/spectral/native/dense-band.c) where it was compiled
   * (AVX2 + FMA), this pool runs the fma build and the two-stage reduction, and it gives the fma build's band matrix
   * bit for bit on a check matrix; else `wasm` (dense-band.ts).
   */
  get reductionKernel(): 'native' | 'wasm' {
    if (!this.wantNative || this.reduction !== 'two-stage' || this.variant !== 'fma') return 'wasm';
    const native = nativeKernels();
    const module = loadKernelModule('fma');
    if (!native?.addon.denseToBand || !module) return 'wasm';
    return nativeReductionAgrees(module, native.addon, this.bandwidth, this.kcBand) ? 'native' : 'wasm';
  }

  /** The kernel build this pool runs (resolved on first use; null when none runs here). */
  get variant(): WasmVariant | null {
    return this.requestedVariant ?? wasmVariant();
  }

  /** Bytes of shared memory currently reserved by the pool (0 before the first job). */
  get memoryBytes(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  private start(): void {
    if (this.workers.length) return;
    const variant = this.variant;
    const module = loadKernelModule(variant);
    const script = resolveWasmFile('worker.mjs');
    if (!module || !script) {
      throw new Error(`WebAssembly kernels unavailable (${variant ? WASM_FILES[variant] : 'spectral.wasm'} or worker.mjs missing, no SharedArrayBuffer, or the runtime rejects the module)`);
    }
    this.memory ??= new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    const nativeAddon = this.wantNative ? nativeKernels()?.file ?? null : null;
    const nativeReduce = nativeAddon !== null && this.reductionKernel === 'native';
    for (let tid = 0; tid < this.threads; tid++) {
      // plain .mjs: no loader needed, and the parent's flags (tsx hooks, --input-type, ...) must not leak in
      const w = new Worker(script, { workerData: { module, memory: this.memory, tid, nativeAddon, nativeReduce, ctrl: CTRL }, execArgv: [] });
      w.on('message', (msg: WorkerReply) => {
        const key = `${msg.id}:${tid}`;
        const p = this.pending.get(key);
        if (!p) return;
        this.pending.delete(key);
        p.resolve(msg);
      });
      w.on('error', (err) => this.fail(new Error(`spectral kernel worker ${tid} crashed: ${err.message}`)));
      w.on('exit', (code) => {
        if (this.workers.includes(w)) this.fail(new Error(`spectral kernel worker ${tid} exited (code ${code})`));
      });
      w.unref(); // ref'ed only while a job runs (runEigen)
      this.workers.push(w);
    }
  }

  /** A worker died: the others may be parked at a barrier forever, so tear everything down. */
  private fail(err: Error): void {
    const workers = this.workers;
    this.workers = [];
    this.memory = null; // barrier state may be inconsistent: start over with a fresh memory
    for (const w of workers) void w.terminate();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private ensureMemory(bytes: number): WebAssembly.Memory {
    const mem = this.memory!;
    const have = mem.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new Error(`matrix too large for the WebAssembly kernels (${bytes} bytes of working memory needed, 4 GiB max)`);
      mem.grow(pages);
    }
    return mem;
  }

  /**
   * All eigenvalues of WᵀW (unsorted order from the kernel is sorted here: ascending), float64.
   * `data` is W row-major (rows x cols). With `lowRank`, the matrix is W − L·Rᵀ instead, formed in
   * float64 slab by slab as the slabs are copied in (low-rank.ts: each entry rounded once), so the
   * dense float64 matrix never exists.
   */
  eigenvalues(data: WeightMatrix, rows: number, cols: number, lowRank?: LowRank, signal?: AbortSignal): Promise<{ values: Float64Array; timings: EigenJobTimings }> {
    const kernels = this.queue.then(() => this.runEigen(data, rows, cols, lowRank, signal));
    this.queue = kernels.catch(() => undefined);
    // QL waits one macrotask, so a job queued behind this one posts its first slab to the workers before it
    return kernels.then(async (job) => {
      await new Promise((resolve) => setImmediate(resolve));
      return this.finishWithQl(job);
    });
  }

  /** Root-free QL of a job's tridiagonal on this thread (the next job already has the workers). */
  private finishWithQl(job: KernelJobResult): { values: Float64Array; timings: EigenJobTimings } {
    const t0 = performance.now();
    const values = localKernels(this.variant)!.eigenvalues(job.d, job.e);
    return { values, timings: { ...job.timings, tql_s: (performance.now() - t0) / 1000 } };
  }

  /** Posts `job` to every worker and waits for all replies (workers are ref'ed only meanwhile). */
  private async runOnAll(job: Record<string, unknown>): Promise<WorkerReply[]> {
    const id = this.nextId++;
    // Workers are ref'ed only while a job runs: an awaited job keeps the process alive, idle
    // kernels never do.
    const workers = this.workers;
    for (const w of workers) w.ref();
    let replies: WorkerReply[];
    try {
      replies = await Promise.all(
        workers.map((w, tid) => new Promise<WorkerReply>((resolve, reject) => {
          this.pending.set(`${id}:${tid}`, { resolve, reject });
          w.postMessage({ ...job, id });
        })),
      );
    } finally {
      for (const w of workers) w.unref();
    }
    for (const r of replies) if (!r.ok) throw new Error(`spectral kernel failed: ${r.error}`);
    return replies;
  }

  private async runEigen(data: WeightMatrix, rows: number, cols: number, lowRank?: LowRank, signal?: AbortSignal) {
    signal?.throwIfAborted();
    this.start();
    const split = lowRank && lowRank.k > 0 ? splitLowRank(lowRank) : null;
    // W₁ = W − L·Rᵀ enters as float64; W itself as stored (float32, float64 or BF16 bits, converted in the kernels)
    const source = split ? null : kernelSource(data);
    const srcType = source ? source.srcType : SRC_F64;
    const bpe = srcType === SRC_F64 ? 8 : srcType === SRC_BF16 ? 2 : 4;
    const n = Math.min(rows, cols);
    const k = Math.max(rows, cols);
    const slab = slabWidth(n, k, bpe, this.kc, this.slabBytes);
    const layout = planLayout(rows, cols, bpe, slab, this.threads, this.nb, this.kc, this.bandwidth);
    const mem = this.ensureMemory(layout.end);
    new Int32Array(mem.buffer, layout.ctrl, 16).fill(0);
    new Int32Array(mem.buffer, layout.bandCtrl, 4 + 2 * this.threads).fill(0);
    const common = { layout, srcType, rows, cols, n, nthreads: this.threads };

    // The Gram matrix, one slab of the inner dimension at a time: W enters kernel memory slab by slab, the next slab
    // copied into the second buffer while the kernels work on the current one. Under a signal (a speculative solve,
    // eigen-js.ts) the first slab is an eighth of W, so an abort right after it wastes little.
    const bounds: number[] = [0];
    if (signal && k > slab) bounds.push(Math.min(slab, Math.max(this.kc, Math.floor(k / 8 / this.kc) * this.kc)));
    while (bounds[bounds.length - 1] < k) bounds.push(Math.min(k, bounds[bounds.length - 1] + slab));
    const buffers = [layout.src, layout.src2];
    let copyMs = 0;
    let gramMs = 0;
    const fill = (s: number) => {
      const [kBegin, kEnd] = [bounds[s], bounds[s + 1]];
      const at = buffers[s % 2];
      const tc = performance.now();
      if (split) {
        const width = kEnd - kBegin;
        const w = asFloat(data);
        if (rows > cols) fillDeflated(w, cols, split, kBegin, kEnd, 0, cols, new Float64Array(mem.buffer, at, width * cols), cols, 1);
        else fillDeflated(w, cols, split, 0, rows, kBegin, kEnd, new Float64Array(mem.buffer, at, rows * width), width, 1);
      } else {
        copySlab(mem, at, source!.array, rows, cols, kBegin, kEnd);
      }
      copyMs += performance.now() - tc;
    };
    fill(0);
    for (let s = 0; s + 1 < bounds.length; s++) {
      signal?.throwIfAborted();
      const running = this.runOnAll({ ...common, op: 'gram', src: buffers[s % 2], kc: this.kc, kBegin: bounds[s], kEnd: bounds[s + 1] });
      if (s + 2 < bounds.length) fill(s + 1);
      const [lead] = await running;
      gramMs += lead.timings!.gram_ms;
    }
    signal?.throwIfAborted();

    const replies = await this.runOnAll({
      ...common, op: 'reduce', nb: this.nb, twoStage: this.reduction === 'two-stage', bw: this.bandwidth, kcBand: this.kcBand,
    });
    const lead = replies[0];
    const d = new Float64Array(mem.buffer, layout.d, n).slice();
    const e = new Float64Array(mem.buffer, layout.e, n).slice();
    const t = lead.timings!;
    const phases = t.phases_ms ?? [];
    return {
      d,
      e,
      timings: {
        copy_s: copyMs / 1000,
        gram_s: gramMs / 1000,
        tridiag_s: (t.tridiag_ms ?? 0) / 1000,
        tql_s: 0,
        tridiag_phases_s: {
          reflector: (phases[0] ?? 0) / 1000,
          symv: (phases[1] ?? 0) / 1000,
          corrections: (phases[2] ?? 0) / 1000,
          rank2k: (phases[3] ?? 0) / 1000,
          wait: (phases[4] ?? 0) / 1000,
        },
        reduction: this.reduction,
        band_s: (t.stage2_ms ?? 0) / 1000,
      },
    };
  }

  /** Terminates the workers and releases the shared memory. The pool restarts on the next job. */
  async shutdown(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.memory = null;
    for (const p of this.pending.values()) p.reject(new Error('spectral kernel pool shut down'));
    this.pending.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const reductionChecks = new Map<string, boolean>();

/**
 * Whether the native dense -> band reduction leaves bitwise the band matrix of the fma build's on a check matrix
 * (several panels, the look-ahead, a size that is not a multiple of 4), one thread. Cached per band width and blocking.
 */
function nativeReductionAgrees(module: WebAssembly.Module, addon: NativeAddon, bw: number, kcBand: number): boolean {
  const key = `${bw}:${kcBand}`;
  const known = reductionChecks.get(key);
  if (known !== undefined) return known;
  let agrees = false;
  try {
    const n = 4 * bw + 13;
    const L = planLayout(n, n, 8, n, 1, 32, 256, bw);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(L.end / PAGE), maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } });
    const wasmDenseToBand = instance.exports.denseToBand as (...args: number[]) => void;
    const results: Float64Array[] = [];
    for (const run of ['wasm', 'native'] as const) {
      new Uint8Array(memory.buffer, RESERVED, L.end - RESERVED).fill(0);
      const g = new Float64Array(memory.buffer, L.g, L.ld * L.ld);
      let s = 2463534242;
      for (let j = 0; j < n; j++) {
        for (let i = j; i < n; i++) {
          s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
          g[j * L.ld + i] = g[i * L.ld + j] = s / 2 ** 32 - 0.5 + (i === j ? 2 : 0);
        }
      }
      const args = [0, 1, L.ctrl, L.g, n, L.ld, bw, L.vc, L.vpk, L.ys, L.ws, L.vp, L.wp, L.small, kcBand, L.tb];
      if (run === 'wasm') wasmDenseToBand(...args);
      else addon.denseToBand!(new Uint8Array(memory.buffer), ...(args as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number]));
      const lower = new Float64Array((n * (n + 1)) / 2);
      let at = 0;
      for (let j = 0; j < n; j++) for (let i = j; i < n; i++) lower[at++] = g[j * L.ld + i];
      results.push(lower);
    }
    agrees = results[0].every((v, i) => Object.is(v, results[1][i]));
  } catch {
    agrees = false;
  }
  reductionChecks.set(key, agrees);
  return agrees;
}

let shared: KernelPool | null = null;

/** The process-wide pool (created on first use). */
export function getPool(): KernelPool {
  shared ??= new KernelPool();
  return shared;
}

/** Replaces the process-wide pool's settings (threads, nb, kc); the old pool is shut down. */
export async function configurePool(options: PoolOptions): Promise<KernelPool> {
  if (shared) await shared.shutdown();
  shared = new KernelPool(options);
  return shared;
}

/** Shuts the process-wide pool down (workers terminated, memory released). */
export async function shutdown(): Promise<void> {
  if (shared) await shared.shutdown();
  shared = null;
}
