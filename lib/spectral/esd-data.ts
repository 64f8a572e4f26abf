/**
 * What a plot of one layer's ESD needs (`EsdData`): the eigenvalues and the fitted power law.
 *
 * Up to ESD_PLOT_LIMIT (4096) eigenvalues every one is kept (`complete: true`) — that covers every layer of a 7B
 * model. Above it, an evenly-ranked subsample of exactly ESD_PLOT_LIMIT values is kept (ranks round(k·(M−1)/(L−1)),
 * so the smallest and the largest eigenvalue are always in it): a histogram or log-log density drawn from it has
 * the same shape, with a known thinning factor. Order: ascending, as everywhere in the spectral core.
 */
import type { EsdData, FitStatus } from '@/lib/types';

export const ESD_PLOT_LIMIT = 4096;

export interface EsdFitInfo {
  alpha: number;
  xmin: number;
  xmax: number | null;
  D: number;
  status: FitStatus;
}

export interface EsdMpInfo {
  bulk_min: number;
  bulk_max: number;
  sigma_mp: number;
  Q: number;
}

/** Evenly-ranked subsample of an ascending vector (all of it when short enough). */
export function thinEvals(evals: Float64Array, limit = ESD_PLOT_LIMIT): number[] {
  const M = evals.length;
  if (M <= limit) return Array.from(evals);
  const out = new Array<number>(limit);
  for (let k = 0; k < limit; k++) out[k] = evals[Math.round((k * (M - 1)) / (limit - 1))];
  return out;
}

export function buildEsdData(evals: Float64Array, fit: EsdFitInfo, mp: EsdMpInfo | null = null): EsdData {
  return {
    evals: thinEvals(evals),
    complete: evals.length <= ESD_PLOT_LIMIT,
    fit: { alpha: fit.alpha, xmin: fit.xmin, xmax: fit.xmax, D: fit.D, status: fit.status },
    mp,
  };
}

/**
 * Points of the fitted power-law density p(x) = (α−1)/xmin · (x/xmin)^(−α) on [xmin, xmax], log-spaced, for
 * drawing the fit line over a density histogram of the tail. Empty for a failed fit.
 */
export function powerLawLine(fit: EsdFitInfo, points = 50): Array<{ x: number; density: number }> {
  if (fit.status !== 'success' || fit.xmax === null || !(fit.xmin > 0) || !(fit.xmax > fit.xmin)) return [];
  const out: Array<{ x: number; density: number }> = [];
  const l0 = Math.log(fit.xmin);
  const l1 = Math.log(fit.xmax);
  for (let k = 0; k < points; k++) {
    const x = Math.exp(l0 + ((l1 - l0) * k) / (points - 1));
    out.push({ x, density: ((fit.alpha - 1) / fit.xmin) * Math.pow(x / fit.xmin, -fit.alpha) });
  }
  return out;
}
