import type { EsdData } from '@/lib/types';

/** What the ESD viewer draws, from a layer's stored eigenvalues and fit (pure; unit-tested). */

/**
 * Log-binned density of the stored eigenvalues: counts over log-spaced bins divided by (n × bin width), so it
 * estimates the density p(λ). Empty bins are dropped (log axes cannot show 0).
 */
export function logBinnedDensity(evals: readonly number[], bins?: number): { x: number; y: number }[] {
  const max = Math.max(...evals);
  const pos = evals.filter((v) => v > max * 1e-12);
  if (pos.length < 2) return [];
  const lo = Math.log10(Math.min(...pos));
  const hi = Math.log10(max) + 1e-9;
  const nb = bins ?? Math.min(60, Math.max(10, Math.round(Math.sqrt(pos.length) * 2)));
  const counts = new Array<number>(nb).fill(0);
  const step = (hi - lo) / nb || 1;
  for (const v of pos) counts[Math.min(nb - 1, Math.floor((Math.log10(v) - lo) / step))]++;
  const out: { x: number; y: number }[] = [];
  counts.forEach((c, i) => {
    if (c === 0) return;
    const a = 10 ** (lo + i * step);
    const b = 10 ** (lo + (i + 1) * step);
    out.push({ x: Math.sqrt(a * b), y: c / (evals.length * (b - a)) });
  });
  return out;
}

/**
 * The fitted power law p(λ) = (α−1)/xmin · (λ/xmin)^−α on [xmin, xmax], scaled by the share of eigenvalues in
 * the tail (λ ≥ xmin) so that it sits on the histogram's density.
 */
export function powerLawLine(esd: EsdData, points = 24): { x: number; y: number }[] {
  const { alpha, xmin } = esd.fit;
  if (!(alpha > 1) || !(xmin > 0)) return [];
  const xmax = esd.fit.xmax ?? Math.max(...esd.evals);
  const tail = esd.evals.filter((v) => v >= xmin).length / esd.evals.length;
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < points; i++) {
    const x = xmin * (xmax / xmin) ** (i / (points - 1));
    out.push({ x, y: (tail * (alpha - 1)) / xmin * (x / xmin) ** -alpha });
  }
  return out;
}
