/**
 * Strided views -> logical row-major order. torch describes a tensor as (storage offset, shape, stride) over a
 * flat storage; element [i0, i1, ..., ik] sits at offset + Σ i_d * stride_d. WeightWatcher sees the tensor as
 * torch materialises it, i.e. the elements in row-major order of the logical index.
 */

/** Element count of a shape (1 for a scalar). */
export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether (shape, stride) is the row-major contiguous layout (size-1 dimensions may carry any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Largest element index (relative to the storage offset) the view touches: Σ (shape_d - 1) * stride_d, or -1
 * for an empty view. Null when it is not a safe integer (absurd strides).
 */
export function maxRelativeIndex(shape: readonly number[], stride: readonly number[]): number | null {
  let max = 0;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) return -1;
    const term = (shape[d] - 1) * stride[d];
    max += term;
    if (!Number.isSafeInteger(term) || !Number.isSafeInteger(max)) return null;
  }
  return max;
}

/**
 * Copy the view (offset, shape, stride) of `src` into a new array in logical row-major order. Strides must be
 * non-negative; throws RangeError when the view reaches outside `src`.
 */
export function gatherStrided<T extends Float32Array | Float64Array>(
  src: T,
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
): T {
  if (shape.length !== stride.length) throw new RangeError('shape and stride differ in length');
  const n = shapeNumel(shape);
  const Ctor = src.constructor as { new (n: number): T };
  if (n === 0) return new Ctor(0);
  const maxRel = maxRelativeIndex(shape, stride);
  if (maxRel === null || offset < 0 || stride.some((s) => s < 0) || offset + maxRel >= src.length) {
    throw new RangeError(`view (offset ${offset}, shape [${shape}], stride [${stride}]) reaches past ${src.length} elements`);
  }
  if (isContiguous(shape, stride)) return src.slice(offset, offset + n) as T;
  const out = new Ctor(n);
  const nd = shape.length;
  const inner = shape[nd - 1];
  const innerStride = stride[nd - 1];
  const outer = n / inner;
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let base = offset;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    let p = base;
    for (let j = 0; j < inner; j++, p += innerStride) out[k++] = src[p];
    // Advance the odometer over dimensions nd-2 .. 0.
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      base += stride[d];
      if (idx[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
