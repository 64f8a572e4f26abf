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

  it('edge values: x = 0, x = ∞, invalid input', () => {
    expect(lnUpperGamma(-1, 0)).toBe(Infinity);
    expect(lnUpperGamma(3, 0)).toBeCloseTo(Math.log(2), 14);
    expect(lnUpperGamma(-1, Infinity)).toBe(-Infinity);
    expect(lnUpperGamma(-1, -1)).toBeNaN();
    expect(upperGamma(-1, 800)).toBe(0); // underflows like float(mpmath value)
  });
});
