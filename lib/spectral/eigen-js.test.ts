/**
 * The JS eigenvalue routes against identities and known spectra (within stated tolerances), and against the exact
 * eigenvalues WeightWatcher computed (evals.json). These catch regressions on spectrum shapes the reference set
 * does not ship: planted singular values with random orthogonal factors, exact rank deficiency, W vs Wᵀ.
 */
import { describe, expect, it } from 'vitest';
import { openLocalCheckpoint } from '@/lib/safetensors';
import {
  GRAM_TRUST_RATIO, gramEigenvalues, gramF64, gramNeedsSvd, singularValuesSvd, spectrum, squares,
  tridiagonalEigenvalues, tridiagonalize,
} from './eigen-js';
import { esdColumns } from './esd';
import { normColumns } from './norms';
import { CONFORMANCE_DIR, loadEvals } from './testing/conformance-cases';
import { gaussian, plantedMatrix, seededRandom, transpose } from './testing/planted';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function sortedSquares(s: number[]): Float64Array {
  return Float64Array.from(s.map((x) => x * x)).sort();
}

describe('gramF64', () => {
  it('matches a naive float64 product on both orientations and odd sizes', () => {
    const rand = seededRandom(3);
    for (const [r, c] of [[5, 9], [9, 5], [33, 70], [70, 33], [65, 65], [1, 7]]) {
      const w = Float32Array.from({ length: r * c }, () => rand() - 0.5);
      const G = gramF64(w, r, c);
      const M = Math.min(r, c);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let k = 0; k < Math.max(r, c); k++) s += r <= c ? w[i * c + k] * w[j * c + k] : w[k * c + i] * w[k * c + j];
          expect(Math.abs(G[i * M + j] - s)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(s)));
        }
      }
    }
  });
});

describe('tridiagonal route', () => {
  it('diagonal and 2×2 matrices have their exact eigenvalues', () => {
    const a = Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(Array.from(tridiagonalEigenvalues(tridiagonalize(a, 3)))).toEqual([1, 2, 3]);
    const b = Float64Array.from([2, 0, 1, 2]); // lower triangle of [[2,1],[1,2]]
    const ev = tridiagonalEigenvalues(tridiagonalize(b, 2));
    expect(ev[0]).toBeCloseTo(1, 14);
    expect(ev[1]).toBeCloseTo(3, 14);
  });

  it('trace and Frobenius identities hold on a random Gram matrix', () => {
    const rand = seededRandom(11);
    const r = 80;
    const c = 200;
    const w = Float64Array.from({ length: r * c }, () => gaussian(rand));
    const ev = gramEigenvalues(w, r, c);
    let fro = 0;
    for (const x of w) fro += x * x;
    const sum = ev.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - fro) / fro).toBeLessThan(1e-12);
    for (let i = 1; i < ev.length; i++) expect(ev[i]).toBeGreaterThanOrEqual(ev[i - 1]);
  });
});

describe('planted spectra (W = U·diag(s)·Vᵀ)', () => {
  const cases: Array<{ rows: number; cols: number; s: number[] }> = [];
  const rand = seededRandom(5);
  for (const [rows, cols] of [[40, 90], [90, 40], [64, 64], [17, 300]]) {
    const M = Math.min(rows, cols);
    cases.push({ rows, cols, s: Array.from({ length: M }, () => 0.1 + 3 * rand()) }); // well conditioned
    cases.push({ rows, cols, s: Array.from({ length: M }, (_, i) => Math.pow(i + 1, -1.5) * 10) }); // power law
  }

  it.each(cases.map((c, i) => [i, c] as const))('case %i: both routes return s² to 1e-10 relative', (_i, { rows, cols, s }) => {
    const w = plantedMatrix(rows, cols, s, 7);
    const want = sortedSquares(s);
    const lmax = want[want.length - 1];
    const gram = gramEigenvalues(w, rows, cols);
    const svd = squares(singularValuesSvd(w, rows, cols));
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(svd[i] - want[i])).toBeLessThanOrEqual(1e-10 * want[i] + 1e-14 * lmax);
      expect(Math.abs(gram[i] - want[i])).toBeLessThanOrEqual(1e-10 * want[i] + 1e-14 * lmax);
    }
  });

  it.each([
    { rows: 50, cols: 120, rank: 30 },
    { rows: 120, cols: 50, rank: 1 },
    { rows: 64, cols: 64, rank: 63 },
    { rows: 200, cols: 40, rank: 0 },
  ])('exact rank deficiency $rows×$cols rank $rank: exact rank_loss and matrix_rank', async ({ rows, cols, rank }) => {
    const M = Math.min(rows, cols);
    const rand = seededRandom(rows * 7 + rank);
    const s = Array.from({ length: M }, (_, i) => (i < rank ? 0.5 + rand() : 0));
    const w = plantedMatrix(rows, cols, s, 13);
    const spec = await spectrum(w, rows, cols); // automatic policy
    const esd = esdColumns(spec.evals, rows, cols, spec.sv ?? undefined);
    const norms = normColumns(spec.evals, 2, Math.max(rows, cols));
    expect(esd.rank_loss).toBe(M - rank);
    expect(norms.matrix_rank).toBe(rank);
    if (rank > 0) {
      expect(spec.route).toBe('svd');
      expect(esd.sv_min).toBeLessThan(1e-7 * esd.sv_max);
    }
    // The Gram route alone cannot resolve the zeros (this is why the policy falls back) — and says so.
    const gram = gramEigenvalues(w, rows, cols);
    if (rank > 0 && rank < M) expect(gramNeedsSvd(gram)).toBe(true);
  });

  it('W and Wᵀ have the same spectrum on both routes', () => {
    const rand = seededRandom(21);
    const rows = 37;
    const cols = 91;
    const w = Float32Array.from({ length: rows * cols }, () => gaussian(rand));
    const wt = transpose(w, rows, cols);
    const a = gramEigenvalues(w, rows, cols);
    const b = gramEigenvalues(wt, cols, rows);
    const c = singularValuesSvd(w, rows, cols);
    const d = singularValuesSvd(wt, cols, rows);
    const lmax = a[a.length - 1];
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-13 * lmax);
    expect(maxAbsDiff(c, d)).toBeLessThan(1e-13 * Math.sqrt(lmax));
  });
});

describe('route policy', () => {
  it('trusts a well-conditioned Gram spectrum and distrusts small or threshold-adjacent eigenvalues', () => {
    expect(gramNeedsSvd(Float64Array.from([0.5, 1, 2]))).toBe(false);
    expect(gramNeedsSvd(Float64Array.from([GRAM_TRUST_RATIO * 0.5, 1, 2]))).toBe(true);
    expect(gramNeedsSvd(Float64Array.from([1e-5 * (1 + 1e-13), 1e-4, 1e-3]))).toBe(true);
    expect(gramNeedsSvd(Float64Array.from([1e-6, 1e-4, 1e-2]))).toBe(true);
    expect(gramNeedsSvd(Float64Array.from([0, 0, 0]))).toBe(true);
  });
});

describe('against WeightWatcher eigenvalues (evals.json)', () => {
  const { evals } = loadEvals();
  it.each(Object.entries(evals))('%s', async (key, v) => {
    const ck = await openLocalCheckpoint(CONFORMANCE_DIR + v.file);
    const m = await ck.read(ck.get(key)!);
    const want = v.evals_ascending;
    const lmax = want[want.length - 1];
    const svd = squares(singularValuesSvd(m.data, m.rows, m.cols));
    const gram = gramEigenvalues(m.data, m.rows, m.cols);
    // absolute error relative to λ_max (what both LAPACK and these routes guarantee)
    expect(maxAbsDiff(svd, want)).toBeLessThan(1e-13 * lmax);
    expect(maxAbsDiff(gram, want)).toBeLessThan(1e-13 * lmax);
    const spec = await spectrum(m.data, m.rows, m.cols);
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(spec.evals[i] - want[i])).toBeLessThanOrEqual(1e-12 * want[i] + 1e-13 * lmax);
    }
  });
});

describe('Gram route with SVD fallback (above the direct-SVD size)', () => {
  it('a rank-deficient 600×1024 matrix goes Gram → SVD and keeps its exact rank', async () => {
    const { computeSpectrum } = await import('./eigen');
    const rows = 600;
    const cols = 1024;
    const rank = 520;
    const rand = seededRandom(99);
    const s = Array.from({ length: rows }, (_, i) => (i < rank ? 0.2 + rand() : 0));
    // float64 on purpose: rounding the entries to float32 would add ~1e-8 noise and lift the planted zeros
    const w = plantedMatrix(rows, cols, s, 5, 3);
    const spec = await computeSpectrum(w, rows, cols);
    expect(spec.route).toBe('svd');
    const esd = esdColumns(spec.evals, rows, cols, spec.sv ?? undefined);
    expect(esd.rank_loss).toBe(rows - rank);
    // full rank at the same size stays on the fast route
    const full = Float32Array.from({ length: rows * cols }, () => gaussian(rand));
    expect((await computeSpectrum(full, rows, cols)).route).toBe('gram');
  });
});
