/**
 * bandToTridiag (stage 2 of the two-stage reduction: symmetric band -> tridiagonal by bulge chasing)
 * against the dense float64 route of eigen-js.ts, on both kernel builds (the fma build only where
 * this runtime accepts relaxed SIMD). The kernel runs on a shared memory laid out like the pool's,
 * with NaN in every place it must not read (strict upper triangle, padding rows, the work area) and
 * sentinels right after every output, then tqlRootFree gives the eigenvalues. Checks: sorted
 * eigenvalues within 1e-12·max|λ| of the dense reference (and of the planted spectrum where one is
 * known), trace and Frobenius norm of (d, e) equal to those of the input, e[n-1] = 0. The
 * multi-threaded bandToTridiagSpmd runs on worker threads sharing the memory and must reproduce
 * the single-thread (d, e) bit for bit.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { tridiagonalEigenvalues, tridiagonalize } from '../eigen-js';
import { gaussian, seededRandom } from '../testing/planted';
import { loadKernelModule, type WasmVariant } from './pool';

interface Kernels {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  bandToTridiag(a: number, n: number, ld: number, b: number, d: number, e: number, work: number): void;
  tqlRootFree(n: number, d: number, e: number): number;
}

const PAGE = 65536;
const CTRL = 1 << 20; // the module's own statics live below
const BASE = CTRL + 256;

function instantiate(variant: WasmVariant): Kernels | null {
  const module = loadKernelModule(variant);
  if (!module) return null;
  // large enough for every case below, so that the memory never grows while workers use it
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } });
  const k = instance.exports as unknown as Omit<Kernels, 'memory' | 'module'>;
  return { module, memory, bandToTridiag: k.bandToTridiag, tqlRootFree: k.tqlRootFree };
}

const SENTINEL = 12345.678;

interface Placed { a: number; n: number; ld: number; b: number; d: number; e: number; work: number; workLen: number }

/**
 * Writes the symmetric n x n matrix `full` (row-major, bandwidth <= b) as the kernel's input:
 * column-major with leading dimension ld, the lower band from `full`, zeros below the band, NaN
 * above the diagonal, in the padding rows and in the work area (the kernel must not read them),
 * sentinels right after d, e and the work area (ld (3b + 8) + 64 f64, not 64-byte aligned).
 */
function place(k: Kernels, full: Float64Array, n: number, b: number): Placed {
  const ld = Math.ceil(n / 4) * 4 + 4;
  const workLen = ld * (3 * b + 8) + 64;
  const al = (x: number) => Math.ceil(x / 64) * 64;
  const a = BASE;
  const d = al(a + n * ld * 8);
  const e = al(d + (n + 1) * 8);
  const work = al(e + (n + 1) * 8) + 8;
  const end = work + (workLen + 1) * 8;
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / PAGE));
  const f = new Float64Array(k.memory.buffer);
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < ld; r++) {
      f[a / 8 + c * ld + r] = r >= n || r < c ? NaN : r - c <= b ? full[r * n + c] : 0;
    }
  }
  f.fill(NaN, d / 8, d / 8 + n);
  f.fill(NaN, e / 8, e / 8 + n);
  f.fill(NaN, work / 8, work / 8 + workLen);
  f[d / 8 + n] = SENTINEL;
  f[e / 8 + n] = SENTINEL;
  f[work / 8 + workLen] = SENTINEL;
  return { a, n, ld, b, d, e, work, workLen };
}

/** (d, e) after the kernel ran on `p`, with the sentinels checked. */
function result(k: Kernels, p: Placed) {
  const f = new Float64Array(k.memory.buffer);
  expect(f[p.d / 8 + p.n]).toBe(SENTINEL);
  expect(f[p.e / 8 + p.n]).toBe(SENTINEL);
  expect(f[p.work / 8 + p.workLen]).toBe(SENTINEL);
  return { d: f.slice(p.d / 8, p.d / 8 + p.n), e: f.slice(p.e / 8, p.e / 8 + p.n) };
}

/**
 * Runs bandToTridiag on `full` and returns (d, e) and the eigenvalues (ascending) from tqlRootFree.
 */
function runKernel(k: Kernels, full: Float64Array, n: number, b: number) {
  const p = place(k, full, n, b);
  k.bandToTridiag(p.a, n, p.ld, b, p.d, p.e, p.work);
  const { d, e } = result(k, p);
  expect(k.tqlRootFree(n, p.d, p.e)).toBe(0);
  const values = new Float64Array(k.memory.buffer).slice(p.d / 8, p.d / 8 + n).sort();
  return { d, e, values };
}

/** Worker threads that run bandToTridiagSpmd together on k's memory. */
function spmdTeam(k: Kernels, threads: number) {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { module, memory } = workerData;
    const k = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } }).exports;
    parentPort.on('message', (args) => { k.bandToTridiagSpmd(...args); parentPort.postMessage('done'); });`;
  const workers = Array.from({ length: threads }, () =>
    new Worker(code, { eval: true, workerData: { module: k.module, memory: k.memory }, execArgv: [] }));
  return {
    async run(p: Placed) {
      new Int32Array(k.memory.buffer, CTRL, 64).fill(0);
      await Promise.all(workers.map((w, tid) => new Promise<void>((resolve, reject) => {
        const done = () => {
          w.off('error', failed);
          resolve();
        };
        const failed = (err: Error) => {
          w.off('message', done);
          reject(err);
        };
        w.once('message', done);
        w.once('error', failed);
        w.postMessage([tid, threads, CTRL, p.a, p.n, p.ld, p.b, p.d, p.e, p.work]);
      })));
    },
    terminate: () => Promise.all(workers.map((w) => w.terminate())),
  };
}

function referenceEigenvalues(full: Float64Array, n: number): Float64Array {
  return tridiagonalEigenvalues(tridiagonalize(Float64Array.from(full), n));
}

/** Symmetric band matrix with entries uniform in [-1, 1) for |r - c| <= b; rows/columns in
 *  `zeroRanges` are zero (reflectors with nothing to annihilate, bulges passing through zeros). */
function randomBand(n: number, b: number, seed: number, zeroRanges: [number, number][] = []): Float64Array {
  const rand = seededRandom(seed);
  const m = new Float64Array(n * n);
  const zero = (i: number) => zeroRanges.some(([lo, hi]) => i >= lo && i < hi);
  for (let c = 0; c < n; c++) {
    for (let r = c; r < Math.min(n, c + b + 1); r++) {
      const x = zero(r) || zero(c) ? 0 : 2 * rand() - 1;
      m[r * n + c] = x;
      m[c * n + r] = x;
    }
  }
  return m;
}

/**
 * Block-diagonal matrix of dense (b+1) x (b+1) blocks Q diag(λ) Qᵀ (Q a product of random
 * Householder reflections), so its bandwidth is b and its spectrum is `lambda` (planted; every
 * block takes the next b+1 values), plus `coupling` times a random band matrix.
 */
function plantedBand(n: number, b: number, lambda: number[], seed: number, coupling = 0): Float64Array {
  const rand = seededRandom(seed);
  const m = coupling ? randomBand(n, b, seed + 1) : new Float64Array(n * n);
  for (let i = 0; i < m.length; i++) m[i] *= coupling;
  for (let lo = 0; lo < n; lo += b + 1) {
    const p = Math.min(b + 1, n - lo);
    // q = Q diag(λ) Qᵀ built as H_1 (H_2 (... diag ...) H_2) H_1
    const q = new Float64Array(p * p);
    for (let i = 0; i < p; i++) q[i * p + i] = lambda[lo + i];
    for (let h = 0; h < 3 && p > 1; h++) {
      const v = Array.from({ length: p }, () => gaussian(rand));
      const nv = Math.hypot(...v);
      for (let i = 0; i < p; i++) v[i] /= nv;
      // q <- (I - 2vvᵀ) q (I - 2vvᵀ)
      const qv = new Float64Array(p);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) qv[i] += q[i * p + j] * v[j];
      let vqv = 0;
      for (let i = 0; i < p; i++) vqv += v[i] * qv[i];
      for (let i = 0; i < p; i++) {
        for (let j = 0; j < p; j++) q[i * p + j] += -2 * v[i] * qv[j] - 2 * qv[i] * v[j] + 4 * vqv * v[i] * v[j];
      }
    }
    for (let i = 0; i < p; i++) {
      for (let j = 0; j <= i; j++) {
        const x = 0.5 * (q[i * p + j] + q[j * p + i]);
        m[(lo + i) * n + lo + j] += x;
        if (i !== j) m[(lo + j) * n + lo + i] += x;
      }
    }
  }
  return m;
}

/** n eigenvalues in clusters: a 5-fold 3.0, a 4-fold 0, pairs 1 ± 1e-13, the rest spread over [-2, 5]. */
function clusteredSpectrum(n: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 11;
    out.push(k < 5 ? 3 : k < 9 ? 0 : k === 9 ? 1 + 1e-13 : -2 + 7 * rand());
  }
  return out;
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function check(k: Kernels, full: Float64Array, n: number, b: number, planted?: number[]) {
  const { d, e, values } = runKernel(k, full, n, b);
  const ref = referenceEigenvalues(full, n);
  const scale = maxAbs(ref);
  const tol = 1e-12 * scale;
  expect(values.length).toBe(n);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(values[i] - ref[i]));
  expect(worst, `n=${n} b=${b}: max |Δλ| = ${worst} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
  if (planted) {
    const p = Float64Array.from(planted.slice(0, n)).sort();
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - p[i])).toBeLessThanOrEqual(tol);
  }
  // invariants of the orthogonal similarity: trace and Frobenius norm
  let trace = 0, traceT = 0, fro = 0, froT = 0;
  for (let i = 0; i < n; i++) {
    trace += full[i * n + i];
    traceT += d[i];
    for (let j = 0; j < n; j++) fro += full[i * n + j] ** 2;
    froT += d[i] ** 2 + (i < n - 1 ? 2 * e[i] ** 2 : 0);
  }
  expect(Math.abs(trace - traceT)).toBeLessThanOrEqual(tol * Math.max(1, Math.sqrt(n)));
  expect(Math.abs(fro - froT)).toBeLessThanOrEqual(1e-12 * Math.max(fro, Number.MIN_VALUE));
  expect(e[n - 1]).toBe(0);
}

const variants: WasmVariant[] = ['plain', 'fma'];

describe.each(variants)('bandToTridiag (%s build)', (variant) => {
  const k = instantiate(variant);

  it.skipIf(!k)('random band matrices: tiny, n < b, n = b + 1, odd n, n = 300', () => {
    let seed = 1;
    for (const b of [1, 2, 3, 8, 16, 32]) {
      for (const n of [1, 2, 3, 5, b + 1, b + 2, 2 * b + 3, 3 * b + 1, 67, 300]) {
        check(k!, randomBand(n, b, seed++), n, b);
      }
    }
  });

  it.skipIf(!k)('bandwidth below the declared b, diagonal and zero matrices', () => {
    check(k!, randomBand(40, 1, 7), 40, 16); // tridiagonal input with b = 16
    check(k!, randomBand(50, 5, 8), 50, 8);
    const diag = new Float64Array(30 * 30);
    for (let i = 0; i < 30; i++) diag[i * 30 + i] = i - 10;
    check(k!, diag, 30, 8);
    check(k!, new Float64Array(21 * 21), 21, 4);
  });

  it.skipIf(!k)('zero blocks inside the band (trivial reflectors while a bulge passes)', () => {
    for (const b of [3, 8, 16, 32]) {
      const n = 4 * b + 37;
      check(k!, randomBand(n, b, 100 + b, [[b + 2, 3 * b], [3 * b + 5, 3 * b + 6], [n - b, n - 2]]), n, b);
    }
  });

  it.skipIf(!k)('planted eigenvalue clusters', () => {
    for (const b of [2, 8, 16, 32]) {
      for (const n of [b + 1, 301]) {
        const lambda = clusteredSpectrum(n, b);
        check(k!, plantedBand(n, b, lambda, 200 + b), n, b, lambda); // decoupled blocks: spectrum known
        check(k!, plantedBand(n, b, lambda, 300 + b, 1e-7), n, b); // weakly coupled: clusters split slightly
      }
    }
  });

  it.skipIf(!k)('large entries: scale-invariant accuracy', () => {
    const n = 150, b = 16;
    const m = randomBand(n, b, 9);
    for (let i = 0; i < m.length; i++) m[i] *= 1e150;
    check(k!, m, n, b);
  });

  // The pipelined sweeps do every element's operations in the same order as the single-thread
  // kernel, so (d, e) must be bitwise the same; 3 threads on 2 cores also exercise the sleeps.
  it.skipIf(!k)('bandToTridiagSpmd on 1, 2 and 3 threads: bitwise the single-thread result', async () => {
    const bytes = (x: Float64Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    for (const threads of [1, 2, 3]) {
      const team = spmdTeam(k!, threads);
      try {
        let seed = 500;
        for (const b of [1, 3, 8, 16, 32]) {
          for (const n of [1, 2, 3, 5, b + 1, 2 * b + 3, 300]) {
            const full = randomBand(n, b, seed++, n > 100 ? [[40, 40 + 2 * b]] : []);
            const p1 = place(k!, full, n, b);
            k!.bandToTridiag(p1.a, n, p1.ld, b, p1.d, p1.e, p1.work);
            const single = result(k!, p1);
            const p2 = place(k!, full, n, b);
            await team.run(p2);
            const multi = result(k!, p2);
            expect(bytes(multi.d).equals(bytes(single.d)), `d, ${threads} threads, n=${n} b=${b}`).toBe(true);
            expect(bytes(multi.e).equals(bytes(single.e)), `e, ${threads} threads, n=${n} b=${b}`).toBe(true);
          }
        }
      } finally {
        await team.terminate();
      }
    }
  });
});
