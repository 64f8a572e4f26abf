/**
 * analyzeMatrix end to end on generated matrices: input guards, identities every layer must satisfy whatever its
 * spectrum (Σλ = ‖W‖_F², W vs Wᵀ, α(cW) = α(W)), structural rank deficiency in float32 storage, option columns
 * present only when asked, and the plot data.
 */
import { describe, expect, it } from 'vitest';
import { analyzeMatrix } from './analyze-matrix';
import { SpectralError } from './errors';
import { ESD_PLOT_LIMIT, thinEvals } from './esd-data';
import { relErr } from './testing/conformance-cases';
import { gaussian, plantedMatrix, seededRandom, transpose } from './testing/planted';

function randomMatrix(rows: number, cols: number, seed: number, heavy = false): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: rows * cols }, () => {
    const g = gaussian(rand);
    return heavy ? g / Math.pow(Math.max(rand(), 1e-12), 0.4) : g * 0.05;
  });
}

describe('guards', () => {
  it('rejects NaN and Infinity naming the tensor, row and column', async () => {
    const w = randomMatrix(12, 20, 1);
    w[3 * 20 + 7] = NaN;
    await expect(analyzeMatrix(w, 12, 20, { subject: 'layers.0.q.weight' })).rejects.toThrow(
      /layers\.0\.q\.weight: 1 non-finite value \(first at row 3, col 7: NaN\)/,
    );
    w[3 * 20 + 7] = Infinity;
    await expect(analyzeMatrix(w, 12, 20)).rejects.toBeInstanceOf(SpectralError);
  });

  it('reports a non-finite entry the same way when the outlier scan is what finds it', async () => {
    // 40 x 60: large enough for the scan (deflate.ts), which reads every entry, so no separate pass runs first
    for (const bad of [NaN, Infinity, -Infinity]) {
      const w = randomMatrix(40, 60, 3);
      w[25 * 60 + 33] = bad;
      w[39 * 60 + 1] = bad;
      await expect(analyzeMatrix(w, 40, 60, { subject: 'layers.1.up.weight' })).rejects.toThrow(
        `layers.1.up.weight: 2 non-finite values (first at row 25, col 33: ${bad})`,
      );
      await expect(analyzeMatrix(w, 40, 60, { subject: 'x', backend: 'js' })).rejects.toBeInstanceOf(SpectralError);
    }
  });

  it('rejects a shape that does not match the data', async () => {
    await expect(analyzeMatrix(new Float32Array(10), 3, 4)).rejects.toThrow(/holds 10 values but shape 3x4 needs 12/);
    await expect(analyzeMatrix(new Float32Array(0), 0, 4)).rejects.toThrow(/invalid shape/);
  });

  it('rejects unsupported option values', async () => {
    const w = randomMatrix(12, 20, 2);
    await expect(analyzeMatrix(w, 12, 20, { xmax: 3 })).rejects.toThrow(/negative integer/);
    await expect(analyzeMatrix(w, 12, 20, { fit: 'XX' as 'PL' })).rejects.toThrow(/PL or TPL/);
  });
});

describe('identities on generated matrices', () => {
  const shapes: Array<[number, number, boolean]> = [[30, 70, false], [70, 30, true], [64, 64, true], [11, 400, false], [300, 200, true]];

  it.each(shapes)('%i×%i (heavy %s): Σλ = ‖W‖_F², λ_max = sv_max², W vs Wᵀ', async (rows, cols, heavy) => {
    const w = randomMatrix(rows, cols, rows * cols, heavy);
    let fro = 0;
    for (const x of w) fro += x * x;
    const a = await analyzeMatrix(w, rows, cols);
    const b = await analyzeMatrix(transpose(w, rows, cols), cols, rows);
    expect(relErr(a.metrics.norm, fro)).toBeLessThan(1e-12);
    expect(relErr(a.metrics.lambda_max, a.metrics.sv_max ** 2)).toBeLessThan(1e-14);
    expect(a.metrics.N).toBe(Math.max(rows, cols));
    expect(a.metrics.M).toBe(Math.min(rows, cols));
    expect(a.metrics.num_evals).toBe(a.metrics.M);
    for (const col of ['alpha', 'D', 'xmin', 'log_norm', 'log_alpha_norm', 'stable_rank', 'entropy'] as const) {
      expect(relErr(b.metrics[col] as number, a.metrics[col] as number), col).toBeLessThan(1e-9);
    }
    expect(b.metrics.num_pl_spikes).toBe(a.metrics.num_pl_spikes);
    expect(b.metrics.matrix_rank).toBe(a.metrics.matrix_rank);
  });

  it('scale covariance: α(cW) = α(W), norms shift by log10 c²', async () => {
    const rows = 80;
    const cols = 160;
    const w = Float64Array.from(randomMatrix(rows, cols, 5, true));
    const a = await analyzeMatrix(w, rows, cols);
    for (const c of [0.5, 3, 40]) {
      const b = await analyzeMatrix(w.map((x) => x * c), rows, cols);
      expect(relErr(b.metrics.alpha, a.metrics.alpha)).toBeLessThan(1e-9);
      expect(Math.abs(b.metrics.D - a.metrics.D)).toBeLessThan(1e-9);
      expect(Math.abs(b.metrics.log_norm - a.metrics.log_norm - 2 * Math.log10(c))).toBeLessThan(1e-12);
      expect(relErr(b.metrics.stable_rank, a.metrics.stable_rank)).toBeLessThan(1e-12);
    }
  });

  it('planted singular values come back exactly through analyzeMatrix', async () => {
    const s = Array.from({ length: 50 }, (_, i) => 4 * Math.pow(i + 1, -0.8));
    const w = plantedMatrix(50, 130, s, 3);
    const { metrics } = await analyzeMatrix(w, 50, 130);
    expect(relErr(metrics.sv_max, 4)).toBeLessThan(1e-12);
    expect(relErr(metrics.sv_min, s[49])).toBeLessThan(1e-10);
    expect(relErr(metrics.norm, s.reduce((acc, x) => acc + x * x, 0))).toBeLessThan(1e-12);
  });
});

describe('structural rank deficiency in float32 storage', () => {
  it('duplicated rows and a zero column give the exact rank_loss / matrix_rank', async () => {
    const rows = 120;
    const cols = 90;
    const w = randomMatrix(rows, cols, 9);
    for (let j = 0; j < cols; j++) w[5 * cols + j] = w[6 * cols + j]; // duplicate (does not reduce rank: tall)
    for (let i = 0; i < rows; i++) {
      w[i * cols + 10] = 0; // zero column
      w[i * cols + 20] = w[i * cols + 21]; // duplicate column
      w[i * cols + 30] = 2 * w[i * cols + 31]; // exactly proportional column (×2 is exact in float32)
    }
    const { metrics, route } = await analyzeMatrix(w, rows, cols);
    expect(route).toBe('svd');
    expect(metrics.rank_loss).toBe(3);
    expect(metrics.matrix_rank).toBe(87);
    expect(metrics.sv_min).toBeLessThan(1e-12 * metrics.sv_max);
    expect(metrics.weak_rank_loss).toBe(3);
  });

  it('an all-zero matrix fails the fit with WeightWatcher sentinels', async () => {
    const { metrics } = await analyzeMatrix(new Float32Array(20 * 30), 20, 30);
    expect(metrics.status).toBe('failed');
    expect(metrics.alpha).toBe(-1);
    expect(metrics.xmax).toBeNull();
    expect(metrics.warning).toBe('over-trained');
    expect(metrics.rank_loss).toBe(20);
  });

  it('a tiny-scale layer (all λ < 1e-5) fails the fit but keeps its norms', async () => {
    const w = randomMatrix(40, 80, 4).map((x) => x * 1e-5);
    const { metrics } = await analyzeMatrix(w, 40, 80);
    expect(metrics.status).toBe('failed');
    expect(metrics.alpha_weighted).toBeCloseTo(-Math.log10(metrics.lambda_max), 12);
    expect(Number.isFinite(metrics.log_alpha_norm)).toBe(true);
  });
});

describe('options and plot data', () => {
  it('adds option columns only when asked, leaving the default columns unchanged', async () => {
    const w = randomMatrix(60, 150, 12, true);
    const plain = await analyzeMatrix(w, 60, 150);
    const withOpts = await analyzeMatrix(w, 60, 150, { mpFit: true, detX: true, fixFingers: 'clip_xmax', randomize: true, seed: 3 });
    expect(plain.metrics.mp_softrank).toBeUndefined();
    expect(plain.metrics.num_fingers).toBeUndefined();
    for (const col of ['mp_softrank', 'num_spikes', 'sigma_mp', 'bulk_max', 'bulk_min', 'W_scale', 'detX_num', 'detX_val',
      'num_fingers', 'raw_alpha', 'rand_distance', 'max_rand_eval', 'rand_num_spikes'] as const) {
      expect(typeof withOpts.metrics[col], col).toBe('number');
    }
    for (const col of ['norm', 'lambda_max', 'sv_min', 'entropy', 'matrix_rank'] as const) {
      expect(withOpts.metrics[col]).toBe(plain.metrics[col]);
    }
    expect(withOpts.esd.mp?.bulk_max).toBe(withOpts.metrics.bulk_max);
  });

  it('keeps every eigenvalue up to the plot limit and an evenly-ranked subsample above it', async () => {
    const { esd, metrics } = await analyzeMatrix(randomMatrix(50, 90, 14), 50, 90);
    expect(esd.complete).toBe(true);
    expect(esd.evals.length).toBe(50);
    expect(esd.evals[49]).toBe(metrics.lambda_max);
    expect(esd.fit.alpha).toBe(metrics.alpha);
    const big = Float64Array.from({ length: 10000 }, (_, i) => i);
    const thin = thinEvals(big);
    expect(thin.length).toBe(ESD_PLOT_LIMIT);
    expect(thin[0]).toBe(0);
    expect(thin[thin.length - 1]).toBe(9999);
    for (let i = 1; i < thin.length; i++) expect(thin[i]).toBeGreaterThan(thin[i - 1]);
  });
});

describe('eigenvalues next to WeightWatcher absolute thresholds', () => {
  it('singular values planted 1e-9 relative either side of λ = 1e-5 and 1e-6 are counted on the right side', async () => {
    const rows = 40;
    const cols = 100;
    const lambdas = [1e-5 * (1 + 1e-9), 1e-5 * (1 - 1e-9), 1e-6 * (1 + 1e-9), 1e-6 * (1 - 1e-9)];
    const s = Array.from({ length: rows }, (_, i) => (i < lambdas.length ? Math.sqrt(lambdas[i]) : 0.05 + 0.02 * i));
    const w = plantedMatrix(rows, cols, s, 17);
    const { metrics, route } = await analyzeMatrix(w, rows, cols);
    expect(route).toBe('svd');
    expect(metrics.weak_rank_loss).toBe(1); // only 1e-6·(1 − 1e-9) is < 1e-6
    // fit data = λ > 1e-5: the 36 large ones plus 1e-5·(1 + 1e-9); num_pl_spikes counts from xmin upward
    const { fitPowerLaw, aboveThreshold } = await import('./powerlaw');
    const evals = Float64Array.from(s.map((x) => x * x)).sort();
    expect(aboveThreshold(evals).length).toBe(37);
    expect(metrics.num_pl_spikes).toBe(fitPowerLaw(evals).num_pl_spikes);
    expect(relErr(metrics.alpha, fitPowerLaw(evals).alpha)).toBeLessThan(1e-9);
  });
});
