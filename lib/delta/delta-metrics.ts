/**
 * The extra columns of a delta row (ΔW = W_ft − W_base, or a LoRA adapter's s·B·A), beside WeightWatcher's columns
 * of ΔW:
 *  - `delta_rel_frobenius` = ||ΔW||_F / ||W_base||_F (how much training moved the matrix, relative to its size);
 *  - `delta_spectral_ratio` = ||ΔW||_2 / ||W_base||_2 (largest singular values, not squared);
 *  - `delta_stable_rank` = ||ΔW||_F² / ||ΔW||_2² (= Σλ / max λ over ΔW's eigenvalues);
 *  - `delta_effective_rank` = exp(H), H the Shannon entropy (natural log) of the normalised singular values
 *    p_i = σ_i / Σσ of ΔW (Roy & Vetterli, 2007); zero singular values contribute nothing;
 *  - `delta_alpha` = α(W_ft) − α(W_base), each WeightWatcher's fitted α of the full matrix (null unless both fits
 *    succeeded).
 * Eigenvalues are those of ΔWᵀΔW (= σ²), in any order; negative rounding residue counts as 0.
 */

export interface DeltaColumns {
  delta_rel_frobenius: number | null;
  delta_spectral_ratio: number | null;
  delta_stable_rank: number;
  delta_effective_rank: number;
  delta_alpha: number | null;
}

/** Σ x² in float64. */
export function sumOfSquares(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return s;
}

/** Σλ / max λ (NaN for an all-zero spectrum). */
export function stableRankFromEvals(evals: ArrayLike<number>): number {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < evals.length; i++) {
    const v = Math.max(0, evals[i]);
    sum += v;
    if (v > max) max = v;
  }
  return max > 0 ? sum / max : NaN;
}

/** Roy & Vetterli's effective rank exp(−Σ p ln p), p_i = σ_i / Σσ, σ = √λ (NaN for an all-zero spectrum). */
export function effectiveRankFromEvals(evals: ArrayLike<number>): number {
  const sv = Array.from(evals, (v) => Math.sqrt(Math.max(0, v)));
  const total = sv.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return NaN;
  let h = 0;
  for (const s of sv) {
    if (s <= 0) continue;
    const p = s / total;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

export interface DeltaInputs {
  /** Eigenvalues of ΔWᵀΔW. */
  deltaEvals: ArrayLike<number>;
  /** ||W_base||_F² over the rows compared (null when there is no base matrix, e.g. an adapter without its base). */
  baseFrobenius2: number | null;
  /** ||W_base||_2² (WeightWatcher's `spectral_norm` column of W_base), or null. */
  baseSpectral2: number | null;
  /** Fitted α of W_ft and W_base, with their statuses, or null when not computed. */
  modelAlpha?: { alpha: number; status: string } | null;
  baseAlpha?: { alpha: number; status: string } | null;
}

export function deltaColumns(input: DeltaInputs): DeltaColumns {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < input.deltaEvals.length; i++) {
    const v = Math.max(0, input.deltaEvals[i]);
    sum += v;
    if (v > max) max = v;
  }
  const ratio = (num: number, den: number | null) => (den !== null && den > 0 ? Math.sqrt(num / den) : null);
  const fitted = (a: DeltaInputs['modelAlpha']) => (a && a.status === 'success' && Number.isFinite(a.alpha) ? a.alpha : null);
  const am = fitted(input.modelAlpha);
  const ab = fitted(input.baseAlpha);
  return {
    delta_rel_frobenius: ratio(sum, input.baseFrobenius2),
    delta_spectral_ratio: ratio(max, input.baseSpectral2),
    delta_stable_rank: stableRankFromEvals(input.deltaEvals),
    delta_effective_rank: effectiveRankFromEvals(input.deltaEvals),
    delta_alpha: am !== null && ab !== null ? am - ab : null,
  };
}
