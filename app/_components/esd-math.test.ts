import { describe, expect, it } from 'vitest';
import type { EsdData } from '@/lib/types';
import { logBinnedDensity, powerLawLine } from './esd-math';

/** Eigenvalues with an exact Pareto tail: quantiles of p(λ) ∝ λ^-α on [1, ∞). */
function pareto(n: number, alpha: number): number[] {
  return Array.from({ length: n }, (_, i) => (1 - (i + 0.5) / n) ** (-1 / (alpha - 1))).sort((a, b) => a - b);
}

describe('ESD viewer math', () => {
  it('log-binned density integrates to the share of eigenvalues it covers', () => {
    const evals = pareto(4000, 3);
    const bins = logBinnedDensity(evals, 40);
    // Reconstruct each bin's width from its geometric centre and the log step.
    const step = (Math.log10(Math.max(...evals)) + 1e-9 - Math.log10(Math.min(...evals))) / 40;
    const mass = bins.reduce((s, b) => s + b.y * b.x * (10 ** (step / 2) - 10 ** (-step / 2)), 0);
    expect(mass).toBeCloseTo(1, 6);
  });

  it('the fitted line has slope −alpha on log-log axes and sits on the histogram of a pure power law', () => {
    const evals = pareto(20000, 2.5);
    const esd: EsdData = { evals, complete: true, fit: { alpha: 2.5, xmin: 1, xmax: Math.max(...evals), D: 0, status: 'success' } };
    const line = powerLawLine(esd);
    const slope = (Math.log10(line.at(-1)!.y) - Math.log10(line[0].y)) / (Math.log10(line.at(-1)!.x) - Math.log10(line[0].x));
    expect(slope).toBeCloseTo(-2.5, 10);
    expect(line[0].x).toBe(1);
    // At λ = xmin the density of a Pareto(α) with the whole sample in the tail is α − 1.
    expect(line[0].y).toBeCloseTo(1.5, 10);
    const hist = logBinnedDensity(evals, 30);
    const mid = hist[5];
    const expected = 1.5 * mid.x ** -2.5;
    expect(Math.abs(Math.log10(mid.y / expected))).toBeLessThan(0.05);
  });

  it('scales the line by the tail share and draws nothing for a failed fit', () => {
    const evals = [...Array.from({ length: 300 }, (_, i) => 0.1 + (0.8 * i) / 300), ...pareto(100, 3)];
    const esd: EsdData = { evals, complete: true, fit: { alpha: 3, xmin: 1, xmax: null, D: 0.1, status: 'success' } };
    expect(powerLawLine(esd)[0].y).toBeCloseTo(0.25 * 2, 10);
    expect(powerLawLine({ ...esd, fit: { ...esd.fit, alpha: -1 } })).toEqual([]);
    expect(logBinnedDensity([0, 0, 0])).toEqual([]);
  });
});
