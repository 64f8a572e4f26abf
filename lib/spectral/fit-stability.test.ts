/**
 * The Gram-route fit stability check: it must accept fits whose tail is far above the Gram error floor, and reject
 * fits that a perturbation of the documented size could change (checked by actually perturbing the eigenvalues).
 */
import { describe, expect, it } from 'vitest';
import { gramFitIsStable, GRAM_ERROR_CONSTANT } from './fit-stability';
import { fitPowerLaw } from './powerlaw';
import { seededRandom } from './testing/planted';

const EPS = 2.220446049250313e-16;

/** Adds an absolute error of up to k·ε·λ_max to every eigenvalue (what the Gram route can do), re-sorted. */
function perturb(ev: Float64Array, k: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  const lmax = ev[ev.length - 1];
  return ev.map((v) => v + (2 * rand() - 1) * k * EPS * lmax).sort();
}

describe('gramFitIsStable', () => {
  it('accepts a bulk+tail spectrum far above the error floor', () => {
    const rand = seededRandom(1);
    const ev = Float64Array.from({ length: 500 }, () => 0.5 + rand() + (rand() < 0.05 ? 30 * rand() : 0)).sort();
    expect(gramFitIsStable(ev)).toBe(true);
  });

  it('rejects a fit whose tail reaches down to eigenvalues the Gram error can move, and those fits really move', () => {
    // a pure power-law spectrum over 14 decades: xmin sits among tiny eigenvalues
    const ev = Float64Array.from({ length: 300 }, (_, i) => 1e4 * Math.pow(10, -14 * (1 - i / 299))).sort();
    expect(gramFitIsStable(ev)).toBe(false);
    const a = fitPowerLaw(ev);
    const moved = [1, 2, 3].some((s) => fitPowerLaw(perturb(ev, GRAM_ERROR_CONSTANT, s)).alpha !== a.alpha);
    expect(moved).toBe(true);
  });

  it('accepted fits do not move under perturbations of the documented size', () => {
    const rand = seededRandom(5);
    let accepted = 0;
    for (let t = 0; t < 40; t++) {
      const decades = 1 + rand() * 10;
      const ev = Float64Array.from({ length: 200 }, () => Math.pow(10, decades * rand())).sort();
      if (!gramFitIsStable(ev)) continue;
      accepted++;
      const a = fitPowerLaw(ev);
      for (let s = 0; s < 3; s++) {
        const b = fitPowerLaw(perturb(ev, GRAM_ERROR_CONSTANT, 100 * t + s));
        expect(Math.abs(b.xmin - a.xmin) / a.xmin).toBeLessThan(1e-6);
        expect(Math.abs(b.D - a.D) / a.D).toBeLessThan(1e-6);
        expect(Math.abs(b.alpha - a.alpha) / a.alpha).toBeLessThan(1e-6);
      }
    }
    expect(accepted).toBeGreaterThan(5);
  });

  it('a failed fit is accepted only when the smallest eigenvalue is not tiny', () => {
    expect(gramFitIsStable(Float64Array.from([1e-7, 2e-7, 3e-6]))).toBe(true);
    expect(gramFitIsStable(Float64Array.from([1e-16, 2e-7, 3e-6]))).toBe(false);
  });
});

describe('near-degenerate spectra', () => {
  it('an orthogonal-like spectrum (λ ≈ 1 ± 1e-7) stays on the Gram route: the SVD route is no more accurate there', () => {
    const rand = seededRandom(9);
    const ev = Float64Array.from({ length: 256 }, () => 1 + 1e-7 * (2 * rand() - 1)).sort();
    expect(gramFitIsStable(ev)).toBe(true);
  });
});
