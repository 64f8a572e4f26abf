/**
 * The native kernels against the WebAssembly ones: the same contracts, and the same numbers.
 * - Gram (gram.c / gram.ts): both sum every entry of G in the same order (per chunk of kc from zero, then added to G),
 *   so where the compiler fused the multiply-adds the native G is bitwise the fma build's, else the plain build's;
 *   against the other build and the float64 sums it agrees to rounding.
 * - Dense -> band (dense-band.c / dense-band.ts): bitwise the fma build's band matrix, on one thread and, through the
 *   pool, on two (work taken from the other thread's share included).
 * Skipped where the addon cannot be built here (no C compiler); a build that fails its own check fails here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { nativeKernels, nativeUnavailableReason } from './native-kernels';
import { instantiateKernels, type KernelInstance } from '../wasm/testing/kernels';
import { KernelPool } from '../wasm/pool';
import { Bf16Matrix } from '../bf16-matrix';

const native = nativeKernels();
const SRC = { f32: 0, f64: 1, bf16: 2 } as const;
type SrcName = keyof typeof SRC;

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const w = new Float32Array(rows * cols);
  let s = seed >>> 0;
  for (let i = 0; i < w.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // a heavy-ish tail so that magnitudes vary and sums really round
    const u = (s + 0.5) / 2 ** 32;
    w[i] = (u - 0.5) * (u < 0.01 || u > 0.99 ? 40 : 1) * 0.02;
  }
  return w;
}

/** W's values as bfloat16 (bits: the upper half of each float32, truncated: any 16 bits are a valid input). */
function bf16Bits(w: Float32Array): Uint16Array {
  const u = new Uint32Array(w.buffer, w.byteOffset, w.length);
  const out = new Uint16Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = u[i] >>> 16;
  return out;
}

interface GramCase { rows: number; cols: number; type: SrcName; kc: number; slabs: number }

/**
 * G of one case by one kernel on one thread: W written slab by slab into the instance's memory as gram.ts expects
 * it, the kernel called per slab. Returns the lower triangle (column-major, ld) and ld.
 */
function gramOf(ki: KernelInstance, c: GramCase, w: Float32Array, useNative: boolean): { g: Float64Array; ld: number; n: number } {
  const { rows, cols, kc } = c;
  const trans = rows > cols;
  const n = Math.min(rows, cols), k = Math.max(rows, cols);
  const ld = Math.ceil(n / 4) * 4 + 4;
  const bytes = c.type === 'f64' ? 8 : c.type === 'f32' ? 4 : 2;
  const ctrl = ki.alloc(8), g = ki.alloc(ld * ld), pack0 = ki.alloc(ld * kc), pack1 = ki.alloc(ld * kc);
  const src = ki.alloc(Math.ceil((n * k * bytes) / 8) + 1);
  const bits = bf16Bits(w);
  const bounds = Array.from({ length: c.slabs + 1 }, (_, s) => Math.round((s * k) / c.slabs / kc) * kc).map((b, s) => (s === c.slabs ? k : Math.min(b, k)));
  for (let s = 0; s < c.slabs; s++) {
    const k0 = bounds[s], k1 = bounds[s + 1];
    if (k1 <= k0) continue;
    const idx: number[] = [];
    if (!trans) for (let r = 0; r < rows; r++) for (let q = k0; q < k1; q++) idx.push(r * cols + q);
    else for (let r = k0; r < k1; r++) for (let q = 0; q < cols; q++) idx.push(r * cols + q);
    const buf = ki.memory.buffer;
    if (c.type === 'f64') new Float64Array(buf, src, idx.length).set(idx.map((i) => w[i]));
    else if (c.type === 'f32') new Float32Array(buf, src, idx.length).set(idx.map((i) => w[i]));
    else new Uint16Array(buf, src, idx.length).set(idx.map((i) => bits[i]));
    if (useNative) native!.addon.gramLower(new Uint8Array(ki.memory.buffer), 0, 1, ctrl, src, SRC[c.type], rows, cols, g, ld, pack0, pack1, kc, k0, k1);
    else ki.exports.gramLower(0, 1, ctrl, src, SRC[c.type], rows, cols, g, ld, pack0, pack1, kc, k0, k1);
  }
  return { g: ki.f64(g, ld * ld).slice(), ld, n };
}

/** The value W's element denotes for a source type (what both kernels convert it to). */
function valueAs(type: SrcName, w: Float32Array): Float64Array {
  if (type !== 'bf16') return Float64Array.from(w);
  const f = new Float32Array(new Uint32Array(Array.from(bf16Bits(w), (b) => b << 16)).buffer);
  return Float64Array.from(f);
}

const cases: GramCase[] = [];
for (const [rows, cols] of [[1, 1], [3, 5], [5, 3], [8, 40], [40, 8], [17, 300], [300, 17], [64, 64], [100, 257], [257, 100]]) {
  for (const type of ['f32', 'f64', 'bf16'] as const) cases.push({ rows, cols, type, kc: 16, slabs: rows * cols > 1000 ? 3 : 1 });
}
cases.push({ rows: 131, cols: 700, type: 'bf16', kc: 256, slabs: 2 }, { rows: 700, cols: 131, type: 'f32', kc: 256, slabs: 1 });

describe.skipIf(!native)('native Gram kernel (gram.c)', () => {
  const builds = (['fma', 'plain'] as const).map((v) => [v, instantiateKernels(v)] as const).filter(([, k]) => k !== null);
  const same = native ? (native.addon.fused ? 'fma' : 'plain') : 'plain';

  it.each(cases)('$rows x $cols $type (kc $kc, $slabs slab(s)): the WebAssembly build with the same rounding, bit for bit', (c) => {
    const w = randomMatrix(c.rows, c.cols, c.rows * 7919 + c.cols);
    const values = valueAs(c.type, w);
    for (const [variant, ki] of builds) {
      const ours = gramOf(ki!, c, w, true);
      const theirs = gramOf(ki!, c, w, false);
      const { ld, n } = ours;
      const k = Math.max(c.rows, c.cols), trans = c.rows > c.cols;
      let worst = 0;
      for (let j = 0; j < n; j++) {
        for (let i = j; i < n; i++) {
          const a = ours.g[j * ld + i], b = theirs.g[j * ld + i];
          if (variant === same) expect(a).toBe(b);
          let ref = 0, mag = 0;
          for (let q = 0; q < k; q++) {
            const p = trans ? values[q * c.cols + i] * values[q * c.cols + j] : values[i * c.cols + q] * values[j * c.cols + q];
            ref += p;
            mag += Math.abs(p);
          }
          worst = Math.max(worst, Math.abs(a - ref) / (mag || 1));
        }
        // padding rows of every column stay zero
        for (let i = n; i < ld; i++) expect(ours.g[j * ld + i]).toBe(0);
      }
      expect(worst).toBeLessThan(k * 2.3e-16);
    }
  });

  it('rejects arguments that would reach outside the kernel memory, and wrong calls', () => {
    const ki = builds[0][1]!;
    const bytes = new Uint8Array(ki.memory.buffer);
    const end = bytes.length;
    expect(() => native!.addon.gramLower(bytes, 0, 1, 0, end - 16, 0, 64, 64, 1 << 20, 68, 0, 0, 16, 0, 64)).toThrow(RangeError);
    expect(() => native!.addon.gramLower(bytes, 2, 2, 0, 1 << 20, 0, 4, 4, 1 << 21, 8, 0, 0, 16, 0, 4)).toThrow(RangeError);
    expect(() => (native!.addon.gramLower as unknown as (...a: unknown[]) => void)(bytes, 0, 1)).toThrow(TypeError);
    expect(() => (native!.addon.gramLower as unknown as (...a: unknown[]) => void)(new Float64Array(4), 0, 1, 0, 0, 0, 1, 1, 0, 4, 0, 0, 1, 0, 1)).toThrow(TypeError);
  });

  const fma = builds.find(([v]) => v === 'fma')?.[1] ?? null;
  describe.skipIf(!native?.addon.denseToBand || !fma)('dense -> band (dense-band.c)', () => {
    /** The lower triangle after one thread's denseToBand (native or the fma build) of a random symmetric matrix. */
    function reduce(useNative: boolean, n: number, b: number, kcs: number, seed: number): Float64Array {
      const ki = fma!;
      const ld = Math.ceil(n / 4) * 4 + 4;
      const ctrl = ki.alloc(8), g = ki.alloc(ld * ld);
      const [vc, vpk, y, w] = [0, 1, 2, 3].map(() => ki.alloc(ld * b));
      const xp = ki.alloc(ld * 2 * b), yp = ki.alloc(ld * 2 * b), small = ki.alloc(6 * b * b + b + 3), tb = ki.alloc(256 * 4);
      const G = ki.f64(g, ld * ld);
      const m = randomMatrix(n, n, seed);
      for (let c = 0; c < n; c++) for (let r = c; r < n; r++) G[c * ld + r] = G[r * ld + c] = m[r * n + c] + m[c * n + r];
      const args = [0, 1, ctrl, g, n, ld, b, vc, vpk, y, w, xp, yp, small, kcs, tb] as const;
      if (useNative) native!.addon.denseToBand!(new Uint8Array(ki.memory.buffer), ...args);
      else ki.exports.denseToBand(...args);
      const out = ki.f64(g, ld * ld);
      const lower: number[] = [];
      for (let c = 0; c < n; c++) for (let r = c; r < n; r++) lower.push(out[c * ld + r]);
      return Float64Array.from(lower);
    }

    it.each([[5, 4, 64], [37, 8, 64], [141, 32, 64], [263, 32, 16], [300, 16, 64], [517, 32, 64]])(
      'n = %i, half-bandwidth %i, kcs %i: the fma build\'s band matrix, bit for bit',
      (n, b, kcs) => {
        const ours = reduce(true, n, b, kcs, n);
        const theirs = reduce(false, n, b, kcs, n);
        expect(ours.length).toBe(theirs.length);
        let differ = 0;
        for (let i = 0; i < ours.length; i++) if (!Object.is(ours[i], theirs[i])) differ++;
        expect(differ).toBe(0);
      },
    );

    it('rejects work areas outside the kernel memory', () => {
      const bytes = new Uint8Array(fma!.memory.buffer);
      expect(() => native!.addon.denseToBand!(bytes, 0, 1, 0, bytes.length - 64, 64, 68, 32, 0, 0, 0, 0, 0, 0, 0, 64, 0)).toThrow(RangeError);
      expect(() => native!.addon.denseToBand!(bytes, 0, 1, 0, 1 << 20, 64, 68, 30, 0, 0, 0, 0, 0, 0, 0, 64, 0)).toThrow(RangeError);
    });
  });

  it('a thread waiting at a native barrier for a partner that is terminated gives up, so both threads can end', async () => {
    // Thread A enters the Gram as thread 0 of 2; thread B never does and is terminated (as when a compute thread is
    // replaced mid-job). A must leave native code (the call throws) or neither A's termination nor the process's exit
    // could ever complete.
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true });
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const m = { exports: {} };
      process.dlopen(m, workerData.file);
      const bytes = new Uint8Array(workerData.memory.buffer);
      m.exports.watchTeardown(bytes, 0);
      parentPort.postMessage('ready');
      if (!workerData.enter) setInterval(() => {}, 1000); // B stays alive until terminated (its exit would abort A too)
      if (workerData.enter) {
        try {
          // 64 x 64 float32 at 4096, G at 65536, packs after it; thread 0 of 2 waits for thread 1 at the first barrier
          m.exports.gramLower(bytes, 0, 2, 0, 4096, 0, 64, 64, 65536, 68, 131072, 196608, 16, 0, 64);
          parentPort.postMessage('returned');
        } catch (err) {
          parentPort.postMessage('threw: ' + err.message);
        }
      }`;
    const start = (enter: boolean) => new Worker(code, { eval: true, workerData: { file: native!.file, memory, enter } });
    const messages = (w: Worker) => {
      const seen: string[] = [];
      w.on('message', (m: string) => seen.push(m));
      return seen;
    };
    const b = start(false);
    const bSeen = messages(b);
    const a = start(true);
    const aSeen = messages(a);
    const until = async (ok: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return ok();
    };
    expect(await until(() => bSeen.includes('ready') && aSeen.includes('ready'), 10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // A is now waiting at the barrier
    expect(aSeen).toEqual(['ready']);
    await b.terminate();
    expect(await until(() => aSeen.length > 1, 10_000)).toBe(true);
    expect(aSeen[1]).toMatch(/gramLower: aborted, a partner thread was terminated/);
    await a.terminate();
  }, 30_000);

  describe('in the worker pool (two threads, slabs, every source type)', () => {
    const pools = { native: new KernelPool({ threads: 2, native: true, slabBytes: 1 << 16 }), wasm: new KernelPool({ threads: 2, native: false, slabBytes: 1 << 16 }) };
    afterAll(async () => {
      await pools.native.shutdown();
      await pools.wasm.shutdown();
    });

    it('uses the native kernels, and the WebAssembly ones when asked not to', () => {
      expect(pools.native.gramKernel).toBe('native');
      expect(pools.wasm.gramKernel).toBe('wasm');
      expect(pools.wasm.reductionKernel).toBe('wasm');
      // the native reduction has the fma build's numbers: only beside that build, and only for the two-stage route
      if (native!.addon.denseToBand && pools.native.variant === 'fma') expect(pools.native.reductionKernel).toBe('native');
      expect(new KernelPool({ native: true, variant: 'plain' }).reductionKernel).toBe('wasm');
      expect(new KernelPool({ native: true, reduction: 'one-stage' }).reductionKernel).toBe('wasm');
    });

    it.each([[300, 517], [517, 300], [96, 1000], [700, 700]])('%i x %i: eigenvalues bitwise those of the WebAssembly Gram with the same rounding', async (rows, cols) => {
      const w = randomMatrix(rows, cols, rows + cols);
      const inputs = [w, Bf16Matrix.ofBytes(new Uint8Array(bf16Bits(w).buffer))];
      for (const data of inputs) {
        const a = await pools.native.eigenvalues(data, rows, cols);
        const b = await pools.wasm.eigenvalues(data, rows, cols);
        expect(a.values.length).toBe(Math.min(rows, cols));
        if (pools.wasm.variant === same) expect(Array.from(a.values)).toEqual(Array.from(b.values));
        const top = b.values[b.values.length - 1];
        for (let i = 0; i < a.values.length; i++) expect(Math.abs(a.values[i] - b.values[i])).toBeLessThan(1e-12 * top);
      }
    });
  });
});

describe('native Gram kernel availability', () => {
  it('is built, checked and offered wherever a C compiler and the Node-API headers exist', () => {
    let compiler = true;
    try {
      execFileSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' });
    } catch {
      compiler = false;
    }
    const headers = existsSync(path.resolve(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h'));
    // a kernel that compiles but fails its check against the float64 Gram is reported here, not skipped
    if (compiler && headers && process.arch === 'x64') expect(nativeUnavailableReason()).toBe('');
    if (compiler && headers && process.arch === 'x64') expect(nativeKernels()).not.toBeNull();
  });

  /** A fresh process's nativeKernels() and the pool's choice of kernels for a 3x5 matrix, under `env`. */
  async function inChild(env: Record<string, string>) {
    const entry = path.resolve(__dirname, 'native-kernels.ts');
    const pool = path.resolve(__dirname, '..', 'wasm', 'pool.ts');
    const code = `import { nativeKernels, nativeUnavailableReason } from ${JSON.stringify(entry)};
      import { KernelPool } from ${JSON.stringify(pool)};
      const p = new KernelPool();
      const { values } = await p.eigenvalues(new Float32Array([1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0]), 3, 5);
      await p.shutdown();
      console.log(JSON.stringify({ native: nativeKernels() !== null, reason: nativeUnavailableReason(), gram: p.gramKernel, values: Array.from(values) }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { native: boolean; reason: string; gram: string; values: number[] };
  }

  it('falls back to the WebAssembly kernels, with the reason, where no C compiler runs', async () => {
    const r = await inChild({ CC: '/nonexistent/cc' });
    expect(r).toMatchObject({ native: false, gram: 'wasm', values: [1, 4, 9] });
    expect(r.reason).toMatch(/no C compiler \(\/nonexistent\/cc\)/);
  });

  it('falls back where the sources do not compile, naming the file', async () => {
    // a checkout whose gram.c is broken (a copy: the real one is left alone)
    const root = mkdtempSync(path.join(os.tmpdir(), 'alphaboard-native-'));
    try {
      cpSync(path.resolve(__dirname), path.join(root, 'lib', 'spectral', 'native'), { recursive: true });
      cpSync(path.resolve(__dirname, '..', 'wasm'), path.join(root, 'lib', 'spectral', 'wasm'), { recursive: true });
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(root, 'lib', 'spectral', 'native', 'gram.c'), 'this is not C\n');
      const r = await inChild({ ALPHABOARD_ROOT: root });
      expect(r).toMatchObject({ native: false, gram: 'wasm', values: [1, 4, 9] });
      expect(r.reason).toMatch(/compiling lib\/spectral\/native\/gram\.c failed/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is off with ALPHABOARD_NATIVE=0, and says so', () => {
    const before = process.env.ALPHABOARD_NATIVE;
    process.env.ALPHABOARD_NATIVE = '0';
    try {
      expect(nativeKernels()).toBeNull();
      expect(nativeUnavailableReason()).toMatch(/ALPHABOARD_NATIVE=0/);
    } finally {
      if (before === undefined) delete process.env.ALPHABOARD_NATIVE;
      else process.env.ALPHABOARD_NATIVE = before;
    }
    // and on again without it (the reason does not stick)
    if (native) {
      expect(nativeKernels()).not.toBeNull();
      expect(nativeUnavailableReason()).toBe('');
    }
  });
});
