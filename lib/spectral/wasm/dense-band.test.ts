import { describe, expect, it } from 'vitest';
import { tridiagonalEigenvalues, tridiagonalize } from '../eigen-js';
import { plantedMatrix, seededRandom } from '../testing/planted';
import { instantiateKernels } from './testing/kernels';

/** Symmetric n x n test matrices, row-major. */
function randomSymmetric(n: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = rand() - 0.5 + (i === j ? 2 * rand() : 0);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** G = W·Wᵀ for W with singular values s: eigenvalues s², zeros included. */
function plantedGram(n: number, s: number[], seed: number): Float64Array {
  const w = plantedMatrix(n, n, s, seed);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += w[i * n + k] * w[j * n + k];
      g[i * n + j] = acc;
      g[j * n + i] = acc;
    }
  }
  return g;
}

function eigenvaluesOf(a: Float64Array, n: number): Float64Array {
  return tridiagonalEigenvalues(tridiagonalize(Float64Array.from(a), n));
}

/**
 * Runs denseToBand on one thread (lower triangle given); returns the band matrix (lower band mirrored, row-major)
 * and the largest |entry| left below the band.
 */
function reduceToBand(variant: 'plain' | 'fma', a: Float64Array, n: number, b: number) {
  const k = instantiateKernels(variant);
  if (!k) throw new Error(`kernel build ${variant} unavailable`);
  const ld = Math.ceil(n / 4) * 4 + 4;
  const ctrl = k.alloc(8);
  const g = k.alloc(ld * ld);
  const [vc, vpk, y, w] = [0, 1, 2, 3].map(() => k.alloc(ld * b));
  const xp = k.alloc(ld * 2 * b);
  const yp = k.alloc(ld * 2 * b);
  const small = k.alloc(6 * b * b + b + 3);
  const tb = k.alloc(256 * 4);
  const G = k.f64(g, ld * ld);
  for (let c = 0; c < n; c++) for (let r = c; r < n; r++) G[c * ld + r] = a[r * n + c];
  k.exports.denseToBand(0, 1, ctrl, g, n, ld, b, vc, vpk, y, w, xp, yp, small, 64, tb);
  const out = k.f64(g, ld * ld);
  const band = new Float64Array(n * n);
  let below = 0;
  for (let c = 0; c < n; c++) {
    for (let r = c; r < n; r++) {
      const v = out[c * ld + r];
      if (r - c > b) below = Math.max(below, Math.abs(v));
      else band[r * n + c] = band[c * n + r] = v;
    }
  }
  return { band, below };
}

const variants = (['plain', 'fma'] as const).filter((v) => instantiateKernels(v) !== null);

describe.each(variants)('dense -> band reduction (%s build)', (variant) => {
  it.each([
    [5, 4], [6, 4], [7, 4], [13, 4], [37, 8], [64, 16], [101, 16], [150, 32], [203, 8], [257, 12],
  ])('n = %i, b = %i: a band matrix with the same eigenvalues', (n, b) => {
    const a = randomSymmetric(n, n * 31 + b);
    const want = eigenvaluesOf(a, n);
    const { band, below } = reduceToBand(variant, a, n, b);
    expect(below).toBe(0);
    const got = eigenvaluesOf(band, n);
    const scale = Math.max(Math.abs(want[0]), Math.abs(want[n - 1]));
    for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12 * scale);
    let traceA = 0, traceB = 0;
    for (let i = 0; i < n; i++) { traceA += a[i * n + i]; traceB += band[i * n + i]; }
    expect(Math.abs(traceA - traceB)).toBeLessThan(1e-12 * n * scale);
  });

  it('keeps a graded, rank-deficient Gram spectrum to n·eps·λ_max', () => {
    const n = 120;
    // singular values from 1e-3 to 1e3 with 20 exact zeros: eigenvalues over 12 decades
    const s = Array.from({ length: n }, (_, i) => (i < 20 ? 0 : 10 ** (-3 + (6 * (i - 20)) / (n - 21))));
    const g = plantedGram(n, s, 11);
    const { band, below } = reduceToBand(variant, g, n, 8);
    expect(below).toBe(0);
    const got = eigenvaluesOf(band, n);
    const want = s.map((x) => x * x).sort((x, y) => x - y);
    for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(n * 2.2e-16 * 1e6 * 10);
  });

  it('leaves a matrix that is already within the band unchanged, and a zero matrix zero', () => {
    const n = 9, b = 8; // n < b + 2: nothing to annihilate
    const a = randomSymmetric(n, 3);
    expect(Array.from(reduceToBand(variant, a, n, b).band)).toEqual(Array.from(a));
    const z = reduceToBand(variant, new Float64Array(40 * 40), 40, 4);
    expect(z.below).toBe(0);
    expect(z.band.every((x) => x === 0)).toBe(true);
  });
});
