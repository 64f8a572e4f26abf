/** ln Γ(s, x) against mpmath (`log(gammainc(s, x))`, 30 digits), over the regions each method covers. */
import { describe, expect, it } from 'vitest';
import { lnUpperGamma, upperGamma } from './incomplete-gamma';

// [s, x, ln Γ(s, x)] from mpmath 1.3 at 30 digits
const REFERENCE: Array<[number, number, number]> = [
  [-1e-6, 0.5, -0.5802228189333841],
  [-2.7e-6, 3.0, -4.3390947689536405],
  [-0.5, 0.01, 2.812696039258919],
  [-1.0, 0.3, 0.4470659462993878],
  [-3.0, 1.2, -3.252654519797086],
  [-7.25, 2.0, -9.274360693098236],
  [-12.5, 0.05, 34.86658815507329],
  [0.0, 0.001, 1.8455433920788304],
  [0.0, 4.0, -5.578202604173405],
  [0.3, 0.2, 0.02429474044119346],
  [2.5, 1.0, 0.12115759487826881],
  [4.0, 30.0, -19.69485457769866],
  [-40.0, 300.0, -533.9828306145116],
  [-1.9999999, 0.7, -1.0820492292014197],
];

// s far below −30, where the continued fraction is used at every x (mpmath 1.3, 30 digits)
const VERY_NEGATIVE_S: Array<[number, number, number]> = [
  [-30, 1e-08, 549.2192249265639],
  [-30, 0.9999969, -4.434963237807152],
  [-30, 1.5, -17.11549569873862],
  [-1000.0, 1e-08, 18413.77298866337],
  [-1000.0, 0.9999969, -7.905652670408683],
  [-1000.0, 1.5, -413.8743637602695],
  [-82985655.0, 1e-08, 1528652238.848596],
  [-82985655.0, 0.9999969, 238.02175401813852],
  [-82985655.0, 1.5, -33647807.31018017],
  [-1000000000000000.0, 1e-08, 1.8420680743952332e+16],
  [-1000000000000000.0, 0.9999969, 3100004769.5047884],
  [-1000000000000000.0, 1.5, -405465108108200.44],
  [-1e+20, 1e-08, 1.8420680743952366e+21],
  [-1e+20, 0.9999969, 310000480504309.1],
  [-1e+20, 1.5, -4.054651081081644e+19],
];

describe('lnUpperGamma', () => {
  it.each(REFERENCE)('Γ(%s, %s) matches mpmath to 1e-13', (s, x, want) => {
    const got = lnUpperGamma(s, x);
    expect(Math.abs(got - want) / Math.max(1, Math.abs(want))).toBeLessThan(1e-13);
  });

  it('is continuous across the method boundaries (x = 1.5, s = 0.5, integer s)', () => {
    for (const s of [-3, -2.5, -1e-9, 0, 1e-9, 0.5 - 1e-12, 0.5 + 1e-12]) {
      const below = lnUpperGamma(s, 1.5 - 1e-12);
      const above = lnUpperGamma(s, 1.5 + 1e-12);
      expect(Math.abs(below - above)).toBeLessThan(1e-10);
    }
    expect(Math.abs(lnUpperGamma(-2, 0.8) - lnUpperGamma(-2 + 1e-12, 0.8))).toBeLessThan(1e-10);
  });

  it('satisfies the recurrence Γ(s+1, x) = sΓ(s, x) + x^s e^(−x)', () => {
    for (const [s, x] of [[-4.3, 0.7], [-0.2, 2.2], [-9.9, 5.0]]) {
      const lhs = upperGamma(s + 1, x);
      const rhs = s * upperGamma(s, x) + Math.pow(x, s) * Math.exp(-x);
      expect(Math.abs(lhs - rhs) / Math.abs(lhs)).toBeLessThan(1e-12);
    }
  });

  it.each(VERY_NEGATIVE_S)('Γ(%s, %s) for very negative s matches mpmath to 1e-14, in a few steps', (s, x, want) => {
    const got = lnUpperGamma(s, x);
    expect(Math.abs(got - want) / Math.max(1, Math.abs(want))).toBeLessThan(1e-14);
  });

  it('finishes at once for any s (the downward recurrence is bounded)', { timeout: 2000 }, () => {
    for (const s of [-1e300, -1e30, -8.3e7, -31, -29.5]) {
      for (const x of [1e-300, 1e-8, 0.5, 1.5]) expect(Number.isFinite(lnUpperGamma(s, x))).toBe(true);
    }
    expect(lnUpperGamma(-Infinity, 1)).toBeNaN();
    expect(lnUpperGamma(Infinity, 1)).toBeNaN();
  });

  it('edge values: x = 0, x = ∞, invalid input', () => {
    expect(lnUpperGamma(-1, 0)).toBe(Infinity);
    expect(lnUpperGamma(3, 0)).toBeCloseTo(Math.log(2), 14);
    expect(lnUpperGamma(-1, Infinity)).toBe(-Infinity);
    expect(lnUpperGamma(-1, -1)).toBeNaN();
    expect(upperGamma(-1, 800)).toBe(0); // underflows like float(mpmath value)
  });
});
