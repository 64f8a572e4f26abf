import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from './rank-correlation';

describe('spearman', () => {
  it('gives tied values their average rank', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([3, 1, 2])).toEqual([3, 1, 2]);
  });

  it('is ±1 for monotone relations, whatever their shape', () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect(spearman(x, x.map((v) => Math.exp(v)))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -(v ** 3)))).toBeCloseTo(-1, 12);
  });

  it('matches the textbook value with ties (scipy.stats.spearmanr gives 0.8207826816681233)', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
  });

  it('is undefined for fewer than 3 pairs or a constant side, and refuses mismatched lengths', () => {
    expect(spearman([1, 2], [2, 1])).toBeNull();
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNull();
    expect(() => spearman([1, 2, 3], [1, 2])).toThrow(/3 x values but 2 y values/);
  });
});
