/**
 * The ESD columns of WeightWatcher's `apply_esd` / `combined_eigenvalues` (spec §2) for one 2-D matrix.
 *
 * Inputs: the ascending eigenvalues λ of WᵀW (all M of them) and, when the eigen route produced them directly, the
 * ascending singular values σ (an SVD route). Without σ they are taken as √λ, which is what WeightWatcher's `evals`
 * are the square of; the two agree to an ulp.
 *
 * Tolerances are WeightWatcher's CPU path: `rank_loss = M − #{σ > σ_max·N·ε64}` and `weak_rank_loss = #{λ < 1e-6}`
 * (strict, absolute). Both are exact counts, so they are only as good as the small eigenvalues fed in — see
 * eigen-js.ts for why the eigen route falls back to a true SVD when small eigenvalues are near these limits.
 */
import type { LayerMetrics } from '@/lib/types';
import { assertNonEmpty } from './guards';

/** numpy `finfo(float64).eps`. */
export const FLOAT64_EPS = 2.220446049250313e-16;
/** WeightWatcher's `tolerance` default for `weak_rank_loss`. */
export const WEAK_RANK_TOLERANCE = 1e-6;

/** The ESD columns of WeightWatcher's default row (names and meaning as in lib/types.ts). */
export type EsdColumns = Pick<
  LayerMetrics,
  'N' | 'M' | 'Q' | 'num_evals' | 'sv_max' | 'sv_min' | 'rank_loss' | 'weak_rank_loss' | 'lambda_max'
>;

/** Shape columns: N = max dim, M = min dim, Q = N/M (float). Orientation never matters in WeightWatcher. */
export function shapeColumns(rows: number, cols: number): { N: number; M: number; Q: number } {
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  return { N, M, Q: N / M };
}

/** Singular values as √λ (negative rounding residue clamps to 0). Ascending in, ascending out. */
export function singularValuesFromEvals(evals: Float64Array): Float64Array {
  const sv = new Float64Array(evals.length);
  for (let i = 0; i < evals.length; i++) sv[i] = Math.sqrt(Math.max(0, evals[i]));
  return sv;
}

/** WeightWatcher's `matrix_rank(svals, N)`: #{σ > max σ · N · ε}. */
export function matrixRankFromSv(sv: Float64Array, N: number): number {
  let max = 0;
  for (let i = 0; i < sv.length; i++) if (sv[i] > max) max = sv[i];
  const tol = max * N * FLOAT64_EPS;
  let rank = 0;
  for (let i = 0; i < sv.length; i++) if (sv[i] > tol) rank++;
  return rank;
}

/** The ESD columns. `evals` ascending (length M); `sv` ascending singular values if the route had them. */
export function esdColumns(evals: Float64Array, rows: number, cols: number, sv?: Float64Array): EsdColumns {
  assertNonEmpty(evals, 'evals');
  const { N, M, Q } = shapeColumns(rows, cols);
  const s = sv ?? singularValuesFromEvals(evals);
  let weak = 0;
  for (let i = 0; i < evals.length; i++) if (evals[i] < WEAK_RANK_TOLERANCE) weak++;
  let svMax = -Infinity;
  let svMin = Infinity;
  let lambdaMax = -Infinity;
  for (let i = 0; i < s.length; i++) {
    if (s[i] > svMax) svMax = s[i];
    if (s[i] < svMin) svMin = s[i];
  }
  for (let i = 0; i < evals.length; i++) if (evals[i] > lambdaMax) lambdaMax = evals[i];
  return {
    N, M, Q,
    num_evals: evals.length,
    sv_max: svMax,
    sv_min: svMin,
    rank_loss: s.length - matrixRankFromSv(s, N),
    weak_rank_loss: weak,
    lambda_max: lambdaMax,
  };
}
