/**
 * detX against WeightWatcher (reference run `analyze(mp_fit=True, detX=True)`): detX_num exact, values to 1e-12
 * relative (same arithmetic), on every analysed tensor; plus the quirks: swapped names, flat spectra, overflow.
 */
import { describe, expect, it } from 'vitest';
import { detX, detXConstraint } from './detx';
import { decodeNumber, relErr } from './testing/conformance-cases';
import { caseEvals, hasExactEvals, optionCases } from './testing/option-spectra';

const cases = optionCases((c) => 'mp_fit_detX' in c.options);

describe('detX against WeightWatcher', () => {
  it.each(cases.map((c) => [c.key, c] as const))('%s', async (_k, c) => {
    const want = c.options.mp_fit_detX;
    const got = detX(await caseEvals(c));
    expect(got.detX_num).toBe(want.detX_num);
    expect(relErr(got.detX_val, decodeNumber(want.detX_val) as number)).toBeLessThan(1e-12);
    expect(relErr(got.detX_val_unrescaled, decodeNumber(want.detX_val_unrescaled) as number)).toBeLessThan(1e-12);
  });

  it('covers exact-eigenvalue cases from evals.json', () => {
    expect(cases.filter((c) => hasExactEvals(c.key)).length).toBeGreaterThanOrEqual(5);
  });
});

describe('detX quirks', () => {
  it('detX_val is in original units and detX_val_unrescaled in rescaled units (names swapped, as in WeightWatcher)', () => {
    const evals = Float64Array.of(0.001, 0.002, 0.004, 0.008, 0.05);
    const r = detX(evals);
    const sum = evals.reduce((a, b) => a + b, 0);
    const idx = evals.length - r.detX_num;
    expect(r.detX_val).toBeCloseTo(evals[idx], 15);
    expect(r.detX_val_unrescaled).toBeCloseTo((evals[idx] * evals.length) / sum, 12);
  });

  it('a flat spectrum (λ_0 ≥ λ_max) gives 0 at index 0', () => {
    const flat = detX(Float64Array.of(2, 2, 2));
    expect(flat.detX_num).toBe(0);
    expect(flat.detX_val).toBeCloseTo(2, 14);
    expect(flat.detX_val_unrescaled).toBeCloseTo(1, 14);
    expect(detXConstraint(Float64Array.of(1))).toEqual({ num: 0, index: 0 });
  });

  it('when no tail product drops below 1, detX_num = M with index 1 (loop quirk)', () => {
    // rescaled values are all ≥ ~1 except the first; the full product of the tail never goes below 1
    expect(detXConstraint(Float64Array.of(0.5, 1, 1.2, 1.3))).toEqual({ num: 4, index: 1 });
  });

  it('reproduces numpy\'s float64 product: underflow of the small values stops the walk where NumPy does', () => {
    // 1200 eigenvalues near 0 and 1200 near 2: mathematically P_k stays above 1 until ~40 small values are in, but
    // np.prod(evals[k:]) multiplies from the smallest upward and underflows to 0 first. WeightWatcher's
    // detX_constraint on this input (numpy 2.4) gives detX_num = 1236 at index 1164.
    const m = 2400;
    const evals = new Float64Array(m);
    for (let i = 0; i < m; i++) evals[i] = i < 1200 ? 1e-9 * (1 + i * 1e-6) : 2 + (i - 1200) * 1e-9;
    const r = detX(evals);
    expect(r.detX_num).toBe(1236);
    expect(r.detX_val).toBeCloseTo(evals[1164], 20);
  });

  it('an overflowing tail product (+Infinity) is handled as NumPy does', () => {
    // 1470 values of ~e on top of 2530 small ones: the top product overflows float64; the walk continues until the
    // small values underflow the product. WeightWatcher's detX_constraint (numpy 2.4): detX_num = 1586, index 2414.
    const m = 4000;
    const evals = new Float64Array(m);
    for (let i = 0; i < m; i++) evals[i] = i < 2530 ? 0.0016 * (1 + i * 1e-6) : 2.718 + (i - 2530) * 1e-9;
    expect(detX(evals).detX_num).toBe(1586);
  });
});
