/**
 * The native kernels (gram.c, dense-band.c, glued by addon.c): found, or compiled for this CPU, and checked before any
 * pool uses them.
 *
 * WebAssembly SIMD is 128 bits wide (2 doubles); the host's CPU usually has 256- or 512-bit vectors. The two kernels
 * that carry a layer's flops, the Gram matrix (`gramLower`) and the dense -> band reduction (`denseToBand`), are also
 * written in C with the WebAssembly kernels' contract (same arguments, same kernel memory, same worker threads), and
 * compiled by the system's C compiler with `-march=native` as one Node-API addon. It is built on first use into
 * node_modules/.cache/alphaboard/native/, named by a hash of its sources, the compiler, the Node-API headers and the
 * CPU's model and feature flags (so a cache copied to another machine is never loaded there). Before it is offered,
 * the Gram kernel is checked against a float64 Gram computed here; the pool checks the reduction against the
 * WebAssembly one (pool.ts). Where there is no C compiler, no Node headers or a check fails, the WebAssembly kernels
 * run as before (nothing else changes). ALPHABOARD_NATIVE=0 turns them off.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** What the addon exports (addon.c): the WebAssembly kernels' gramLower and denseToBand on the kernel memory's bytes. */
export interface NativeAddon {
  /** whether the compiler fused the multiply-adds (this CPU has FMA): G is then bitwise the fma WebAssembly build's */
  readonly fused: boolean;
  gramLower(
    memory: Uint8Array, tid: number, nthreads: number, ctrl: number,
    src: number, srcType: number, rows: number, cols: number,
    g: number, ld: number, pack0: number, pack1: number, kc: number,
    kBegin: number, kEnd: number,
  ): void;
  /** this thread's teardown aborts the native kernels waiting on the control block at `ctrl` (see kernels.h) */
  watchTeardown(memory: Uint8Array, ctrl: number): void;
  /** only where dense-band.c was compiled (x86-64 with AVX2 and FMA); its numbers are the fma build's */
  denseToBand?(
    memory: Uint8Array, tid: number, nthreads: number, ctrl: number,
    a: number, n: number, ld: number, b: number,
    vc: number, vpk: number, y: number, w: number, xp: number, yp: number, small: number, kcs: number, tb: number,
  ): void;
}

export interface NativeKernels {
  /** absolute path of the compiled addon (what worker threads load) */
  file: string;
  addon: NativeAddon;
}

const SOURCE_DIR = path.join('lib', 'spectral', 'native');
/**
 * Sources and how each is compiled: the Gram may fuse its multiply-adds freely (they are its only products), the
 * reduction fuses exactly where the fma WebAssembly build does (explicit intrinsics) and nothing else.
 */
const SOURCES: [file: string, contract: 'fast' | 'off'][] = [['gram.c', 'fast'], ['dense-band.c', 'off'], ['addon.c', 'off']];
const HEADERS = ['kernels.h', 'splits.h'];
const CFLAGS = ['-O3', '-march=native', '-fPIC', '-std=gnu11'];

function root(): string {
  return process.env.ALPHABOARD_ROOT ?? process.cwd();
}

/** The C compiler to use: $CC, else cc. */
function compiler(): string {
  return process.env.CC || 'cc';
}

/** Directory holding node_api.h for this Node (official builds ship it beside the binary). */
function nodeHeaders(): string | null {
  const dir = path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
  return existsSync(path.join(dir, 'node_api.h')) ? dir : null;
}

/** CPU model and feature flags: the compiled code is only valid where these are the same. */
function cpuSignature(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1] ?? '';
    return `${process.arch}|${field('model name')}|${field('flags')}`;
  } catch {
    return `${process.arch}|unknown`;
  }
}

function compilerVersion(cc: string): string | null {
  try {
    return execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).split('\n')[0];
  } catch {
    return null;
  }
}

/** Compiles the addon for this CPU (or finds it compiled); its path, or the reason why not. */
function buildAddon(): { file: string } | { error: string } {
  const dirOf = path.join(root(), SOURCE_DIR);
  for (const f of [...SOURCES.map(([file]) => file), ...HEADERS]) {
    if (!existsSync(path.join(dirOf, f))) return { error: `${path.join(SOURCE_DIR, f)} not found` };
  }
  const headers = nodeHeaders();
  if (!headers) return { error: 'Node-API headers not found beside the node binary' };
  const cc = compiler();
  const version = compilerVersion(cc);
  if (!version) return { error: `no C compiler (${cc})` };
  const digest = createHash('sha256');
  for (const f of [...SOURCES.map(([file]) => file), ...HEADERS]) digest.update(readFileSync(path.join(dirOf, f)));
  const hash = digest
    .update(readFileSync(path.join(headers, 'node_api.h')))
    .update(`${version}\n${CFLAGS.join(' ')}\n${cpuSignature()}`)
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(root(), 'node_modules', '.cache', 'alphaboard', 'native');
  const file = path.join(dir, `kernels-${hash}.node`);
  if (existsSync(file)) return { file };
  mkdirSync(dir, { recursive: true });
  // unique temporary names (per process and thread: compute threads of one process may build at once), then rename:
  // concurrent first runs each build a whole addon, the last rename wins
  const tmp = `${file}.${process.pid}-${threadId}.tmp`;
  const objects = SOURCES.map(([f]) => `${tmp}.${f}.o`);
  const run = (args: string[]) => execFileSync(cc, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  let step = '';
  try {
    SOURCES.forEach(([f, contract], i) => {
      step = `compiling ${path.join(SOURCE_DIR, f)}`;
      run([...CFLAGS, `-ffp-contract=${contract}`, `-I${headers}`, '-c', path.join(dirOf, f), '-o', objects[i]]);
    });
    step = 'linking the native kernels';
    run(['-shared', '-o', tmp, ...objects, '-lm']);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { error: `${step} failed${stderr ? `: ${stderr.split('\n').slice(0, 3).join(' ')}` : ''}` };
  } finally {
    for (const o of objects) rmSync(o, { force: true });
  }
  return { file };
}

/**
 * Runs the addon on a small matrix of each source type and orientation, one thread, several chunks and two slabs,
 * against the float64 Gram summed here: an addon that computes anything else is not used.
 */
function agreesWithReference(addon: NativeAddon): boolean {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });
  const bytes = new Uint8Array(memory.buffer);
  for (const [rows, cols] of [[13, 37], [37, 13]] as const) {
    for (const srcType of [0, 1, 2]) {
      const n = Math.min(rows, cols), k = Math.max(rows, cols), trans = rows > cols;
      const w = new Float64Array(rows * cols);
      let s = 12345 + srcType;
      for (let i = 0; i < w.length; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        // values exact in bfloat16, so every source type denotes the same matrix
        w[i] = Math.fround(((s >>> 8) % 255 - 127) / 64);
      }
      const ld = Math.ceil(n / 4) * 4 + 4, kc = 8;
      const ctrl = 0, src = 64, g = 64 + k * n * 8, pack0 = g + ld * ld * 8, pack1 = pack0 + ld * kc * 8;
      const slabs = [0, 24, k];
      for (let sl = 0; sl + 1 < slabs.length; sl++) {
        const k0 = slabs[sl], k1 = slabs[sl + 1];
        // the slab as gram.ts expects it: W[:, k0:k1] (rows x sw) when A = W, W[k0:k1, :] when A = Wᵀ
        const at = (r: number, c: number) => w[r * cols + c];
        const slab: number[] = [];
        if (!trans) for (let r = 0; r < rows; r++) for (let c = k0; c < k1; c++) slab.push(at(r, c));
        else for (let r = k0; r < k1; r++) for (let c = 0; c < cols; c++) slab.push(at(r, c));
        if (srcType === 1) new Float64Array(memory.buffer, src, slab.length).set(slab);
        else if (srcType === 0) new Float32Array(memory.buffer, src, slab.length).set(slab);
        else {
          const bits = new Uint16Array(memory.buffer, src, slab.length);
          const f = new Float32Array(1), u = new Uint32Array(f.buffer);
          slab.forEach((v, i) => { f[0] = v; bits[i] = u[0] >>> 16; });
        }
        addon.gramLower(bytes, 0, 1, ctrl, src, srcType, rows, cols, g, ld, pack0, pack1, kc, k0, k1);
      }
      const G = new Float64Array(memory.buffer, g, ld * ld);
      for (let j = 0; j < n; j++) {
        for (let i = j; i < n; i++) {
          let ref = 0;
          for (let q = 0; q < k; q++) ref += (trans ? w[q * cols + i] * w[q * cols + j] : w[i * cols + q] * w[j * cols + q]);
          // the entries are sums of products of multiples of 1/64: exact in float64, whatever the order
          if (G[j * ld + i] !== ref) return false;
        }
        for (let i = n; i < ld; i++) if (G[j * ld + i] !== 0) return false;
      }
    }
  }
  return true;
}

/** Loads a Node-API addon by path (process.dlopen: no module resolution for a bundler to rewrite). */
export function loadAddon(file: string): NativeAddon {
  const module = { exports: {} as NativeAddon };
  process.dlopen(module, file);
  return module.exports;
}

let cached: NativeKernels | null | undefined;
let unavailable = '';

/**
 * The native kernels, compiled and the Gram checked (once per process), or null where they cannot run here or
 * ALPHABOARD_NATIVE=0; `nativeUnavailableReason()` then says why.
 */
export function nativeKernels(): NativeKernels | null {
  if (process.env.ALPHABOARD_NATIVE === '0') return null;
  if (cached !== undefined) return cached;
  cached = null;
  if (typeof SharedArrayBuffer === 'undefined' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
    unavailable = `no native kernel for ${process.arch}`;
    return null;
  }
  let built: ReturnType<typeof buildAddon>;
  try {
    built = buildAddon();
  } catch (err) {
    // e.g. node_modules not writable: the WebAssembly kernels run
    built = { error: `building the native kernels failed: ${(err as Error).message}` };
  }
  if ('error' in built) {
    unavailable = built.error;
    return null;
  }
  try {
    const addon = loadAddon(built.file);
    if (!agreesWithReference(addon)) {
      unavailable = 'the compiled Gram kernel disagreed with the float64 reference';
      return null;
    }
    cached = { file: built.file, addon };
  } catch (err) {
    unavailable = `loading the compiled kernels failed: ${(err as Error).message}`;
  }
  return cached;
}

/** Why nativeKernels() returns null ('' when it does not). */
export function nativeUnavailableReason(): string {
  return process.env.ALPHABOARD_NATIVE === '0' ? 'turned off (ALPHABOARD_NATIVE=0)' : unavailable;
}
