/**
 * WeightWatcher 0.7.5.5's detX constraint (`analyze(detX=True)`: `apply_detX` → `RMT_Util.detX_constraint`),
 * spec §5.3. Input: a layer's ESD, ascending, all M eigenvalues.
 *
 * Rescale to mean 1, `λ̃ = s²·λ` with `s = √M / √Σλ` (Σ in numpy's pairwise order). If `λ̃_0 ≥ λ̃_{M−1}` (a flat
 * spectrum) or M < 2: detX_num = 0 at index 0. Otherwise walk k = M−1, M−2, …, 1 and stop at the first k whose tail
 * product `P_k = Π_{j≥k} λ̃_j` is below 1: `detX_num = M − k`. If none is, `detX_num = M` with k = 1 (the loop's last
 * index — a WeightWatcher quirk: the count says "all" while the index is 1, not 0).
 *
 * Over- and underflow, as in WeightWatcher: each P_k is recomputed the way `np.prod(evals[k:])` does it — a plain
 * float64 product taken sequentially from λ̃_k upward (numpy's multiply-reduce is a left-to-right loop; checked
 * bit for bit). For very heavy or very wide spectra the partial product of the small values can underflow to 0
 * (then P_k = 0 < 1 stops the walk early) and the product of the largest ones can overflow to +Infinity (never
 * < 1); both depart from the mathematical product, and both are reproduced. Cost O((M − k)²/2) multiplies for a
 * stop at k — a few million for M = 4096.
 * Naming quirk reproduced: **`detX_val` is in the original units** (λ̃_k / s², i.e. λ_k up to rounding) and
 * **`detX_val_unrescaled` is the rescaled value λ̃_k** — the names say the reverse of what the values are.
 *
 * Tolerance: identical to WeightWatcher's values (same arithmetic) up to a few ulps. Never throws for a finite
 * vector; an empty vector gives detX_num 0 and NaN values, which callers store as null.
 */
import { pairwiseSum } from './pairwise-sum';

/** WeightWatcher's detX columns, under their WeightWatcher names. */
export interface DetXResult {
  detX_num: number;
  /** λ at the detX index, in the ESD's original units (WeightWatcher's name; see the module comment). */
  detX_val: number;
  /** λ̃ = λ·M/Σλ at the detX index (rescaled units, despite the name). */
  detX_val_unrescaled: number;
}

/** `detX_constraint` on already-rescaled ascending eigenvalues: the count and the index of the first tail value. */
export function detXConstraint(rescaled: Float64Array): { num: number; index: number } {
  const m = rescaled.length;
  if (m < 2) return { num: 0, index: 0 };
  if (!(rescaled[0] < rescaled[m - 1])) return { num: 0, index: 0 };
  for (let k = m - 1; k >= 1; k--) {
    let product = rescaled[k];
    for (let j = k + 1; j < m; j++) product *= rescaled[j];
    if (product < 1.0) return { num: m - k, index: k };
  }
  return { num: m, index: 1 };
}

/** WeightWatcher's detX columns for an ascending ESD. */
export function detX(evals: Float64Array): DetXResult {
  const m = evals.length;
  if (m === 0) return { detX_num: 0, detX_val: NaN, detX_val_unrescaled: NaN };
  const wscale = Math.sqrt(m) / Math.sqrt(pairwiseSum(evals));
  const s2 = wscale * wscale;
  const rescaled = new Float64Array(m);
  for (let i = 0; i < m; i++) rescaled[i] = s2 * evals[i];
  const { num, index } = detXConstraint(rescaled);
  const unrescaled = rescaled[index];
  return {
    detX_num: num,
    detX_val: unrescaled / s2,
    detX_val_unrescaled: unrescaled,
  };
}
