/**
 * The deflated route (deflate.ts) against the pure-JS SVD reference: Gaussian layers with one or several outlier
 * directions (30×–3000× the bulk edge), both orientations, a rank-deficient layer with a spike (kept on the SVD route),
 * plain layers (never deflated), and the fit columns end to end.
 */
import { describe, expect, it } from 'vitest';
import { analyzeMatrix } from './analyze-matrix';
import { deflatedErrorBound, findSpikes } from './deflate';
import { computeSpectrum } from './eigen';
import { gramEigenvalues, singularValuesSvd, spectrum, squares } from './eigen-js';
import { deflatedMatrix } from './low-rank';
import { asFloat, type WeightMatrix } from './bf16-matrix';
import { gaussianMatrix } from './testing/planted';
import { createRng } from './rng';

/** Gaussian N(0, 0.02²) rows × cols plus spikes s_t·a_t·b_tᵀ (unit a, b) with σ = factor × the bulk edge. */
function spiked(rows: number, cols: number, factors: number[], seed: number, rankDeficient = 0): Float32Array {
  const g = gaussianMatrix(rows, cols, seed);
  const std = 0.02;
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = g[i] * std;
  if (rankDeficient > 0) {
    // zero the last `rankDeficient` rows: rank min(rows, cols) − rankDeficient before the spikes
    for (let i = rows - rankDeficient; i < rows; i++) w.fill(0, i * cols, (i + 1) * cols);
  }
  const edge = std * (Math.sqrt(rows) + Math.sqrt(cols));
  const rng = createRng(seed + 17);
  for (const f of factors) {
    const a = new Float64Array(rows).map(() => rng.nextFloat() - 0.5);
    const b = new Float64Array(cols).map(() => rng.nextFloat() - 0.5);
    const na = Math.hypot(...a);
    const nb = Math.hypot(...b);
    const s = f * edge;
    for (let i = 0; i < rows; i++) {
      if (rankDeficient > 0 && i >= rows - rankDeficient) continue;
      for (let j = 0; j < cols; j++) w[i * cols + j] += (s * a[i] * b[j]) / (na * nb);
    }
  }
  return Float32Array.from(w);
}

function referenceEvals(w: Float32Array, rows: number, cols: number): Float64Array {
  return squares(singularValuesSvd(w, rows, cols));
}

const CASES: { name: string; rows: number; cols: number; factors: number[] }[] = [
  { name: 'one 300x spike, wide', rows: 192, cols: 512, factors: [300] },
  { name: 'one 300x spike, tall', rows: 512, cols: 192, factors: [300] },
  { name: 'one 30x spike', rows: 192, cols: 512, factors: [30] },
  { name: 'one 3000x spike', rows: 192, cols: 512, factors: [3000] },
  { name: 'three spikes 30x, 300x, 3000x', rows: 256, cols: 640, factors: [30, 300, 3000] },
  { name: 'two equal 300x spikes', rows: 200, cols: 480, factors: [300, 300] },
];

describe('deflated route', () => {
  it.each(CASES)('$name: every eigenvalue within its bound of the SVD reference', async ({ rows, cols, factors }) => {
    const w = spiked(rows, cols, factors, rows * 7 + cols);
    const basis = findSpikes(w, rows, cols);
    expect(basis?.k).toBe(factors.length);
    const spec = await computeSpectrum(w, rows, cols, { route: 'deflated' });
    expect(spec.route).toBe('deflated');
    const ref = referenceEvals(w, rows, cols);
    const info = spec.deflation!;
    const lmax = ref[ref.length - 1];
    for (let i = 0; i < ref.length; i++) {
      const diff = Math.abs(spec.evals[i] - ref[i]);
      // the reference's own error: ~c·ε·σ_max on σ
      const refErr = 100 * 2.2e-16 * Math.sqrt(lmax) * Math.sqrt(ref[i]) + 1e3 * 2.2e-16 * ref[i];
      expect(diff).toBeLessThanOrEqual(deflatedErrorBound(info, ref[i]) + refErr);
      expect(diff / ref[i]).toBeLessThan(1e-9);
    }
    // the JS backend gives the same numbers
    const js = await computeSpectrum(w, rows, cols, { route: 'deflated', backend: 'js' });
    for (let i = 0; i < ref.length; i++) expect(Math.abs(js.evals[i] - spec.evals[i]) / ref[i]).toBeLessThan(1e-10);
  });

  it.each(CASES.slice(0, 5))('$name: fit and norm columns match the SVD route to 1e-8', async ({ rows, cols, factors }) => {
    const w = spiked(rows, cols, factors, rows * 7 + cols);
    const auto = await analyzeMatrix(w, rows, cols);
    expect(auto.route).toBe('deflated');
    const ref = await analyzeMatrix(w, rows, cols, { route: 'svd' });
    for (const col of ['alpha', 'D', 'xmin', 'xmax', 'sigma', 'lambda_max', 'log_norm', 'log_alpha_norm', 'alpha_weighted', 'stable_rank', 'sv_min', 'entropy'] as const) {
      const a = auto.metrics[col] as number;
      const b = ref.metrics[col] as number;
      expect(Math.abs(a - b) / Math.abs(b), col).toBeLessThan(1e-8);
    }
    for (const col of ['num_pl_spikes', 'rank_loss', 'weak_rank_loss', 'matrix_rank', 'status'] as const) {
      expect(auto.metrics[col], col).toBe(ref.metrics[col]);
    }
  });

  it('plain Gaussian layers are not deflated', () => {
    for (const [r, c] of [[192, 512], [512, 192], [300, 300]] as const) {
      const g = gaussianMatrix(r, c, r + c);
      expect(findSpikes(g, r, c)).toBeNull();
    }
  });

  it('a rank-deficient layer with a spike keeps the SVD route and its rank columns', async () => {
    const rows = 192, cols = 512;
    const w = spiked(rows, cols, [300], 5, 12);
    expect(findSpikes(w, rows, cols)?.k).toBe(1);
    const auto = await analyzeMatrix(w, rows, cols);
    expect(auto.route).toBe('svd');
    expect(auto.metrics.rank_loss).toBe(12);
  });

  it('W − L·Rᵀ is rounded once per entry (error relative to the result, not to L·R)', () => {
    const rows = 40, cols = 60, k = 2;
    const rng = createRng(3);
    const left = new Float64Array(rows * k).map(() => (rng.nextFloat() - 0.5) * 1e4);
    const right = new Float64Array(cols * k).map(() => rng.nextFloat() - 0.5);
    // W = fl32(L·Rᵀ + small): W − L·Rᵀ is then small, and a naive subtraction would leave errors ~ε·|L·R|
    const w = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += left[i * k + t] * right[j * k + t];
        w[i * cols + j] = s + (rng.nextFloat() - 0.5) * 1e-3;
      }
    }
    const got = deflatedMatrix(w, rows, cols, { k, left, right });
    // reference in double-double via exact products (Dekker) and careful sums
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let hi = w[i * cols + j];
        let lo = 0;
        for (let t = 0; t < k; t++) {
          const a = left[i * k + t], b = right[j * k + t];
          const p = a * b;
          const split = (x: number) => {
            const c = 134217729 * x;
            const h = c - (c - x);
            return [h, x - h];
          };
          const [ah, al] = split(a);
          const [bh, bl] = split(b);
          const pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
          const s = hi - p;
          const bb = s - hi;
          lo += (hi - (s - bb)) + (-p - bb) - pe;
          hi = s;
        }
        const exact = hi + lo;
        expect(Math.abs(got[i * cols + j] - exact)).toBeLessThanOrEqual(4 * 2.2e-16 * Math.abs(exact) + 1e-20 * 1e4);
      }
    }
  });
});

describe('speculative Gram solve during the outlier scan', () => {
  /** A solver standing in for the kernels: records each call's signal and answers on a later turn of the event loop. */
  function recordingSolver() {
    const calls: { lowRank: boolean; signal?: AbortSignal }[] = [];
    const solve = async (data: WeightMatrix, r: number, c: number, lowRank?: Parameters<typeof deflatedMatrix>[3], signal?: AbortSignal) => {
      calls.push({ lowRank: !!lowRank, signal });
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      const d = asFloat(data);
      return gramEigenvalues(lowRank ? deflatedMatrix(d, r, c, lowRank) : d, r, c);
    };
    return { calls, solve };
  }

  it('uses the solve started before the scan when there is no outlier', async () => {
    const [rows, cols] = [96, 256];
    const w = spiked(rows, cols, [], 5);
    const { calls, solve } = recordingSolver();
    const got = await spectrum(w, rows, cols, { gramEigen: solve, speculate: true });
    expect(calls).toHaveLength(1);
    expect(calls[0].signal?.aborted).toBe(false);
    const plain = await spectrum(w, rows, cols, { gramEigen: solve });
    expect(got.route).toBe('gram');
    expect(Array.from(got.evals)).toEqual(Array.from(plain.evals));
  });

  it('aborts it when the scan finds an outlier, and gives the deflated spectrum', async () => {
    const [rows, cols] = [192, 512];
    const w = spiked(rows, cols, [300], 11);
    const { calls, solve } = recordingSolver();
    const got = await spectrum(w, rows, cols, { gramEigen: solve, speculate: true });
    expect(calls[0]).toMatchObject({ lowRank: false });
    expect(calls[0].signal?.aborted).toBe(true);
    expect(calls.slice(1).every((c) => c.lowRank)).toBe(true);
    const plain = await spectrum(w, rows, cols, { gramEigen: solve });
    expect(got.route).toBe('deflated');
    expect(Array.from(got.evals)).toEqual(Array.from(plain.evals));
  });

  it('aborts it when the scan meets a non-finite entry, and reports that entry', async () => {
    const [rows, cols] = [64, 100];
    const w = spiked(rows, cols, [], 3);
    w[40 * cols + 71] = -Infinity;
    const { calls, solve } = recordingSolver();
    const onNonFinite = () => {
      throw new Error('non-finite seen');
    };
    await expect(spectrum(w, rows, cols, { gramEigen: solve, speculate: true, onNonFinite })).rejects.toThrow('non-finite seen');
    expect(calls[0].signal?.aborted).toBe(true);
  });
});
