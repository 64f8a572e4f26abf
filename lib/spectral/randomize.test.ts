/**
 * randomize: the seeded PRNG and shuffle, reproducibility (same seed → identical columns, different seeds →
 * different shuffles), WeightWatcher's replica rule, the Jensen–Shannon distance against scipy, and statistical
 * agreement with WeightWatcher's own randomize run on the reference set. WeightWatcher's shuffle uses numpy's
 * unseeded global generator, so its columns can only be matched in distribution; the tolerances below come from
 * the spread of these statistics between independent shuffles, and hold for two different seeds.
 */
import { describe, expect, it } from 'vitest';
import { jensenShannonDistance, randomizeColumns, randomReplicas } from './randomize';
import { createRng, shuffleInPlace, xoshiro128ss } from './rng';
import { caseEvals, caseMatrix, optionCases, type OptionCase } from './testing/option-spectra';

describe('rng', () => {
  it('xoshiro128** gives the reference stream for state (1, 2, 3, 4)', () => {
    const r = xoshiro128ss(1, 2, 3, 4);
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('same seed → same stream; different seeds → different streams', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('nextBelow is uniform (chi-square over 10 bins, 100k draws) and nextFloat lies in [0, 1)', () => {
    const r = createRng(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.nextBelow(10)]++;
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.9); // 99.9th percentile of chi-square with 9 degrees of freedom
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(() => r.nextBelow(0)).toThrow(RangeError);
  });

  it('the inlined shuffle makes exactly the draws of nextBelow(i + 1), i = n−1 … 1', () => {
    const a = Float64Array.from({ length: 500 }, (_, i) => i);
    const b = Float64Array.from(a);
    shuffleInPlace(a, createRng(9));
    const r = createRng(9);
    for (let i = b.length - 1; i > 0; i--) {
      const j = r.nextBelow(i + 1);
      [b[i], b[j]] = [b[j], b[i]];
    }
    expect(a).toEqual(b);
  });

  it('shuffleInPlace permutes (same multiset) and moves entries', () => {
    const a = Float64Array.from({ length: 1000 }, (_, i) => i);
    shuffleInPlace(a, createRng(1));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    let fixed = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === i) fixed++;
    expect(fixed).toBeLessThan(20);
  });
});

describe('jensenShannonDistance', () => {
  it('matches scipy (natural log, element-wise pairing, zeros allowed)', () => {
    expect(jensenShannonDistance(Float64Array.of(1, 2, 3, 4), Float64Array.of(2, 2, 3, 1))).toBeCloseTo(0.2421380159276016, 14);
    expect(jensenShannonDistance(Float64Array.of(0, 1e-3, 2, 5), Float64Array.of(0.5, 0, 1, 7))).toBeCloseTo(0.20184873369705753, 14);
    expect(jensenShannonDistance(Float64Array.of(1, 2), Float64Array.of(2, 4))).toBe(0);
  });
});

describe('randomizeColumns', () => {
  const small = new Float32Array(40 * 60).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);

  it('uses 5 replicas below 100 eigenvalues, else 1, plus one single shuffle', async () => {
    expect([randomReplicas(99), randomReplicas(100)]).toEqual([5, 1]);
    let calls = 0;
    const fake = async (d: Float32Array | Float64Array, rows: number, cols: number) => {
      calls++;
      return Float64Array.from({ length: Math.min(rows, cols) }, (_, i) => (i + 1) * (1 + (d[i] as number) ** 2));
    };
    await randomizeColumns(small, 40, 60, Float64Array.from({ length: 40 }, (_, i) => i + 1), { eigenvalues: fake });
    expect(calls).toBe(6);
  });

  it('is reproducible under a seed, differs across seeds, and leaves the input untouched', async () => {
    const copy = Float32Array.from(small);
    const evals = Float64Array.from({ length: 40 }, (_, i) => 0.1 + i * 0.05);
    const a = await randomizeColumns(small, 40, 60, evals, { seed: 11 });
    const b = await randomizeColumns(small, 40, 60, evals, { seed: 11 });
    const c = await randomizeColumns(small, 40, 60, evals, { seed: 12 });
    expect(b).toEqual(a);
    expect(c.max_rand_eval).not.toBe(a.max_rand_eval);
    expect(c.rand_distance).not.toBe(a.rand_distance);
    expect(small).toEqual(copy);
    const d = await randomizeColumns(small, 40, 60, evals);
    expect(await randomizeColumns(small, 40, 60, evals)).toEqual(d); // default seed: reproducible too
  });

  it('rejects a shape that does not match the data', async () => {
    await expect(randomizeColumns(small, 41, 60, new Float64Array(40))).rejects.toThrow(/does not match shape/);
  });
});

describe('randomize against WeightWatcher (statistical)', () => {
  const byKey = (k: string): OptionCase => optionCases((c) => c.key === k)[0];
  /**
   * Tolerance for statistics driven by the largest eigenvalue of a shuffled (i.e. random) matrix: 4 standard
   * deviations of the difference of two independent draws, from the Tracy–Widom law: λ_max/μ has relative
   * standard deviation ≈ 1.27·(1/√N + 1/√M)^(1/3)/(√N + √M) (Johnstone 2001; 1.27 = sd of TW₁).
   */
  const edgeTol = (M: number, N: number) => 4 * Math.SQRT2 * 1.27 * Math.cbrt(1 / Math.sqrt(N) + 1 / Math.sqrt(M)) / (Math.sqrt(N) + Math.sqrt(M));
  const light = [
    'mp.gauss_256x1024.weight',
    'spk.rank1_spike_256x256.weight',
    'model.layers.0.mlp.down_proj.weight',
    'model.layers.0.self_attn.k_proj.weight', // M = 64: 5 replicas
  ];

  it.each(light)('%s', async (key) => {
    const c = byKey(key);
    const want = c.options.randomize_seeded as Record<string, number>;
    const m = await caseMatrix(c);
    const evals = await caseEvals(c);
    const tol = edgeTol(c.M, c.N);
    for (const seed of [1, 2]) {
      const got = await randomizeColumns(m.data, m.rows, m.cols, evals, { seed });
      expect(Math.abs(got.max_rand_eval / want.max_rand_eval - 1)).toBeLessThan(tol);
      expect(Math.abs(got.ww_softrank / want.ww_softrank - 1)).toBeLessThan(tol);
      expect(Math.abs(got.rand_mp_softrank / want.rand_mp_softrank - 1)).toBeLessThan(tol);
      // rand_distance of a random-like layer is itself noise of order 1/√M
      expect(Math.abs(got.rand_distance - want.rand_distance)).toBeLessThan(Math.max(0.1 / Math.sqrt(c.M), 0.05 * want.rand_distance));
      expect(got.rand_num_spikes).toBe(want.rand_num_spikes);
      expect(got.rand_W_scale).toBeCloseTo(want.rand_W_scale, 10); // the shuffle keeps Σλ = ‖W‖²_F
    }
  });

  it('heavy-tailed Student-t (μ = 2.5): correlation traps survive the shuffle in similar numbers', async () => {
    const c = byKey('ht.student_t_mu2.5_256x1024.weight');
    const want = c.options.randomize_seeded as Record<string, number>;
    const m = await caseMatrix(c);
    const evals = await caseEvals(c);
    for (const seed of [1, 2]) {
      const got = await randomizeColumns(m.data, m.rows, m.cols, evals, { seed });
      expect(Math.abs(got.max_rand_eval / want.max_rand_eval - 1)).toBeLessThan(0.15);
      expect(got.rand_num_spikes).toBeGreaterThan(0);
      expect(Math.abs(got.rand_num_spikes - want.rand_num_spikes)).toBeLessThanOrEqual(0.4 * want.rand_num_spikes);
      expect(got.rand_distance / want.rand_distance).toBeGreaterThan(0.4);
      expect(got.rand_distance / want.rand_distance).toBeLessThan(2.5);
    }
  });
});
