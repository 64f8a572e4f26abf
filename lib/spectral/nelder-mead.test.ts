/**
 * Nelder–Mead against SciPy 1.17's `scipy.optimize.fmin` (reference numbers recorded from SciPy: minimiser, minimum,
 * iteration and evaluation counts, status). Matching the counts exactly shows the same vertices were visited.
 */
import { describe, expect, it } from 'vitest';
import { NELDER_MEAD_HARD_LIMIT, nelderMead } from './nelder-mead';
import { arange, bruteWithPolish } from './mp-fit';

const rosen = (x: Float64Array) => (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2;

describe('nelderMead (scipy fmin semantics)', () => {
  it('Rosenbrock from (-1.2, 1): same point, iterations and evaluations as scipy', () => {
    const r = nelderMead(rosen, [-1.2, 1.0]);
    expect(r.x[0]).toBeCloseTo(1.0000220217835696, 12);
    expect(r.x[1]).toBeCloseTo(1.0000422197517715, 12);
    expect(r.fun).toBeCloseTo(8.177661197416674e-10, 18);
    expect([r.nit, r.nfev, r.status]).toEqual([85, 159, 0]);
  });

  it('stops at the evaluation limit exactly as scipy (maxfun=50)', () => {
    const r = nelderMead(rosen, [-1.2, 1.0], { maxfev: 50 });
    expect(r.x[0]).toBeCloseTo(-0.1432260704040481, 12);
    expect(r.x[1]).toBeCloseTo(0.03051691055297004, 12);
    expect(r.fun).toBeCloseTo(1.3169722556967705, 12);
    expect([r.nit, r.nfev, r.status]).toEqual([26, 50, 1]);
  });

  it('a zero start coordinate uses the 0.00025 initial step (1-D quadratic)', () => {
    const r = nelderMead((x) => (x[0] - 3) ** 2 * 2 + 1, [0]);
    expect(r.x[0]).toBeCloseTo(3, 12);
    expect([r.nit, r.nfev]).toEqual([28, 56]);
  });

  it('non-smooth 3-D objective: same path as scipy', () => {
    const r = nelderMead((x) => Math.abs(x[0] - 1) + Math.abs(x[1] + 2) + (x[2] - 0.5) ** 2, [1, 1, 1]);
    expect(r.x[0]).toBeCloseTo(1.0000016106181522, 12);
    expect(r.x[1]).toBeCloseTo(-2.000001891255067, 12);
    expect(r.x[2]).toBeCloseTo(0.5070632328698146, 12);
    expect([r.nit, r.nfev]).toEqual([89, 166]);
  });
});

describe('brute grid (numpy arange semantics) + polish', () => {
  it('arange has numpy length and values', () => {
    const g = arange(0.05 * 1.3, 2 * 1.3, 0.01 * 1.3);
    expect(g.length).toBe(195);
    expect(g[7]).toBe(0.15599999999999997);
    expect(g[194]).toBe(2.5869999999999993);
  });

  it('scipy.optimize.brute(cos(3x) + 0.1x², slice(-2, 3, 0.25)) with its fmin finish', () => {
    const x = bruteWithPolish((v) => Math.cos(3 * v) + 0.1 * v * v, -2, 3, 0.25);
    expect(x).toBeCloseTo(-1.0244140625, 12);
  });

  it('ends at its hard limit even with both limits infinite and an objective that never converges', { timeout: 20_000 }, () => {
    const r = nelderMead(() => NaN, [1, 2], { maxiter: Infinity, maxfev: Infinity });
    expect(r.status).not.toBe(0);
    expect(r.nfev).toBeLessThanOrEqual(NELDER_MEAD_HARD_LIMIT);
    expect(r.nit).toBeLessThanOrEqual(NELDER_MEAD_HARD_LIMIT);
  });
});
