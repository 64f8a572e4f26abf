/**
 * W₁ = W − L·Rᵀ for a low-rank correction (L: rows × k, R: cols × k, both float64), with every entry of W₁ as
 * accurate as if the correction had been subtracted in exact arithmetic and the result rounded once — the property
 * the deflated route (deflate.ts) needs so that W₁'s rounding error is relative to W₁, not to the large directions
 * that were removed from it.
 *
 * How: L and R are split once (Veltkamp, 27 bits) into hi + lo parts with 26-bit his, so Lh·Rh is EXACT in float64
 * (26 + 26 ≤ 53 bits); L·R = Lh·Rh + Lh·Rl + Ll·R exactly. Per entry: hi = W_ij, lo = 0; for every term t,
 * (hi, e) = TwoSum(hi, −Lh·Rh) exactly, lo += e − (Lh·Rl + Ll·R); then W₁_ij = fl(hi + lo). The terms added to lo
 * are ≤ 2^-26·|L_it·R_jt| and are rounded to u·2^-26·|L_it·R_jt| (u = 2^-53), so
 *   |fl(W₁)_ij − (W − L·Rᵀ)_ij| ≤ u·|W₁_ij| + 4k·u·2^-26·Σ_t |L_it·R_jt|  (first order),
 * i.e. ‖ΔW₁‖_F ≤ u·‖W₁‖_F + 2^-75·k·Σ_t ‖L_t‖·‖R_t‖. A plain fl(W_ij − L_it·R_jt) would leave u·|L_it·R_jt|, which for a
 * spike is u·σ₁ in norm — the error this module exists to avoid. ~12 flops per entry and term, no allocation.
 */

/** A rank-k correction W − L·Rᵀ: left is rows × k, right is cols × k, both row-major (index i·k + t). */
export interface LowRank {
  k: number;
  left: Float64Array;
  right: Float64Array;
}

interface SplitLowRank {
  k: number;
  lh: Float64Array;
  ll: Float64Array;
  rh: Float64Array;
  rl: Float64Array;
  r: Float64Array;
}

const SPLITTER = 134217729; // 2^27 + 1

function split(x: Float64Array): { hi: Float64Array; lo: Float64Array } {
  const hi = new Float64Array(x.length);
  const lo = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const c = SPLITTER * a;
    const h = c - (c - a);
    hi[i] = h;
    lo[i] = a - h;
  }
  return { hi, lo };
}

export function splitLowRank(lr: LowRank): SplitLowRank {
  const l = split(lr.left);
  const r = split(lr.right);
  return { k: lr.k, lh: l.hi, ll: l.lo, rh: r.hi, rl: r.lo, r: lr.right };
}

/**
 * Writes (W − L·Rᵀ)[i, j] for i in [r0, r1), j in [c0, c1) to dst[(i − r0)·rowStride + (j − c0)·colStride].
 * `data` is W row-major (rows × cols).
 */
export function fillDeflated(
  data: Float32Array | Float64Array,
  cols: number,
  s: SplitLowRank,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  dst: Float64Array,
  rowStride: number,
  colStride: number,
): void {
  const { k, lh, ll, rh, rl, r } = s;
  if (k === 1) {
    for (let i = r0; i < r1; i++) {
      const a = lh[i], b = ll[i];
      const src = i * cols;
      let o = (i - r0) * rowStride;
      for (let j = c0; j < c1; j++, o += colStride) {
        const w = data[src + j];
        const p = -(a * rh[j]); // exact
        const hi = w + p;
        const bb = hi - w;
        const e = (w - (hi - bb)) + (p - bb);
        dst[o] = hi + (e - (a * rl[j] + b * r[j]));
      }
    }
    return;
  }
  for (let i = r0; i < r1; i++) {
    const src = i * cols;
    const li = i * k;
    let o = (i - r0) * rowStride;
    for (let j = c0; j < c1; j++, o += colStride) {
      let hi = data[src + j];
      let lo = 0;
      const rj = j * k;
      for (let t = 0; t < k; t++) {
        const a = lh[li + t];
        const p = -(a * rh[rj + t]);
        const s2 = hi + p;
        const bb = s2 - hi;
        lo += (hi - (s2 - bb)) + (p - bb) - (a * rl[rj + t] + ll[li + t] * r[rj + t]);
        hi = s2;
      }
      dst[o] = hi + lo;
    }
  }
}

/** The dense float64 W − L·Rᵀ (rows × cols, row-major), for backends that take a whole matrix. */
export function deflatedMatrix(data: Float32Array | Float64Array, rows: number, cols: number, lr: LowRank): Float64Array {
  const out = new Float64Array(rows * cols);
  fillDeflated(data, cols, splitLowRank(lr), 0, rows, 0, cols, out, cols, 1);
  return out;
}
