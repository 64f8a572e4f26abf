/**
 * WeightWatcher's `apply_norm_metrics` columns (spec §4), computed over the FULL ascending ESD (including the
 * eigenvalues below the fit threshold), in numpy's summation order.
 *
 * Conventions worth knowing (they surprise people): `norm` is the SQUARED Frobenius norm Σλ; `spectral_norm` is the
 * SQUARED spectral norm λ_max; `alpha_weighted = α·log10 λ_max`; `log_alpha_norm = log10 Σ λ_i^α` over all M
 * eigenvalues (with a failed fit α = −1, so a zero eigenvalue makes it +Infinity, as in WeightWatcher);
 * `entropy` uses natural logs, p_i = λ_i/Σλ + 1e-10 (CPU EPSILON) and divides by ln(matrix_rank + 1e-10)
 * (−Σ p ln p / ln(1e-10) when the rank is 0; NaN/Infinity pass through unchanged, never thrown).
 */
import type { LayerMetrics } from '@/lib/types';
import { FLOAT64_EPS, matrixRankFromSv } from './esd';
import { assertNonEmpty } from './guards';
import { pairwiseSum } from './pairwise-sum';

/** WeightWatcher `RMT_Util.EPSILON` on the CPU path (the CUDA path uses 6e-5; we reproduce the CPU reference). */
export const ENTROPY_EPSILON = 1e-10;

/** The norm, rank and entropy columns of WeightWatcher's default row (names as in lib/types.ts). */
export type NormColumns = Pick<
  LayerMetrics,
  | 'norm' | 'log_norm' | 'spectral_norm' | 'log_spectral_norm' | 'alpha_weighted' | 'log_alpha_norm'
  | 'stable_rank' | 'matrix_rank' | 'entropy'
>;

/** log10 Σ λ_i^α, numpy order. */
export function logAlphaNorm(evals: Float64Array, alpha: number): number {
  const powered = new Float64Array(evals.length);
  for (let i = 0; i < evals.length; i++) {
    const ev = evals[i];
    // numpy float64 ** float: C pow semantics (pow(1, y) = 1 even for non-finite y).
    powered[i] = ev === 1 ? 1 : Math.pow(ev, alpha);
  }
  return Math.log10(pairwiseSum(powered));
}

/**
 * WeightWatcher's `matrix_entropy(√λ, N)`: rank from σ = √λ with the float64 tolerance, λ re-formed as σ·σ.
 */
export function matrixEntropy(evals: Float64Array, N: number): number {
  const sv = new Float64Array(evals.length);
  for (let i = 0; i < evals.length; i++) sv[i] = Math.sqrt(evals[i]);
  const rank = matrixRankFromSv(sv, N) + ENTROPY_EPSILON;
  const sq = new Float64Array(evals.length);
  for (let i = 0; i < sv.length; i++) sq[i] = sv[i] * sv[i];
  const total = pairwiseSum(sq);
  const terms = new Float64Array(evals.length);
  for (let i = 0; i < sq.length; i++) {
    const p = sq[i] / total + ENTROPY_EPSILON;
    terms[i] = p * Math.log(p);
  }
  return -pairwiseSum(terms) / Math.log(rank);
}

/** All norm columns for a layer with N = max dimension and fitted α (−1 for a failed fit). */
export function normColumns(evals: Float64Array, alpha: number, N: number): NormColumns {
  assertNonEmpty(evals, 'evals');
  const norm = pairwiseSum(evals);
  let lambdaMax = -Infinity;
  for (let i = 0; i < evals.length; i++) if (evals[i] > lambdaMax) lambdaMax = evals[i];
  const sv = new Float64Array(evals.length);
  for (let i = 0; i < evals.length; i++) sv[i] = Math.sqrt(evals[i]);
  return {
    norm,
    log_norm: Math.log10(norm),
    spectral_norm: lambdaMax,
    log_spectral_norm: Math.log10(lambdaMax),
    alpha_weighted: alpha * Math.log10(lambdaMax),
    log_alpha_norm: logAlphaNorm(evals, alpha),
    stable_rank: norm / lambdaMax,
    matrix_rank: matrixRankFromSv(sv, N),
    entropy: matrixEntropy(evals, N),
  };
}

export { FLOAT64_EPS };
