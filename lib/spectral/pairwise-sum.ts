/**
 * numpy's summation order for a contiguous float64 vector (`np.sum`, `ndarray.sum`): blocked pairwise summation
 * with 8 interleaved accumulators for blocks of at most 128 values, recursing on halves (split rounded down to a
 * multiple of 8) above that.
 *
 * Why reproduce it: WeightWatcher's α is `1 + n / (Σ log x − n·log xmin)`, a difference of two large, nearly equal
 * numbers for the top candidates; summing in numpy's order keeps our α within a few ulps of WeightWatcher's instead
 * of ~n·eps apart. It costs nothing extra (still one add per element) and is also more accurate than a running sum.
 */
const PW_BLOCKSIZE = 128;

/** Σ a[start..end) in numpy's pairwise order. */
export function pairwiseSum(a: ArrayLike<number>, start = 0, end = a.length): number {
  const n = end - start;
  if (n < 8) {
    let res = 0;
    for (let i = start; i < end; i++) res += a[i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    const blockEnd = start + (n - (n % 8));
    let i = start + 8;
    for (; i < blockEnd; i += 8) {
      r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
      r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < end; i++) res += a[i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, start + n2) + pairwiseSum(a, start + n2, end);
}
