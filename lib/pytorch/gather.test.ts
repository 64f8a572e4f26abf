import { describe, expect, it } from 'vitest';
import { gatherStrided, isContiguous, maxRelativeIndex } from './gather';

/** Reference: element at each logical index by direct formula. */
function naive(src: ArrayLike<number>, shape: number[], stride: number[], offset: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let rem = k;
    let at = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += (rem % shape[d]) * stride[d];
      rem = Math.floor(rem / shape[d]);
    }
    out.push(src[at]);
  }
  return out;
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('gatherStrided', () => {
  it('matches the index formula for random shapes, permutations, slices, offsets and zero strides', () => {
    const rnd = seeded(7);
    for (let trial = 0; trial < 300; trial++) {
      const nd = 1 + Math.floor(rnd() * 4);
      const full = Array.from({ length: nd }, () => 1 + Math.floor(rnd() * 5));
      // A contiguous parent, then a permutation, a slice with steps, or an expanded dimension.
      const parentStride: number[] = [];
      let acc = 1;
      for (let d = nd - 1; d >= 0; d--) { parentStride[d] = acc; acc *= full[d]; }
      const order = full.map((_, i) => i).sort(() => rnd() - 0.5);
      let shape = order.map((d) => full[d]);
      let stride = order.map((d) => parentStride[d]);
      let offset = 0;
      shape = shape.map((s, d) => {
        const start = Math.floor(rnd() * s);
        const step = 1 + Math.floor(rnd() * 2);
        offset += start * stride[d];
        const len = Math.max(1, Math.floor((s - start + step - 1) / step));
        stride[d] *= step;
        return len;
      });
      if (rnd() < 0.2) { const d = Math.floor(rnd() * nd); stride[d] = 0; shape[d] = 1 + Math.floor(rnd() * 3); }
      const extra = Math.floor(rnd() * 3);
      const src = Float64Array.from({ length: acc + extra + 8 }, (_, i) => i + 0.25);
      stride = stride.slice();
      const got = gatherStrided(src, shape, stride, offset + extra);
      expect(Array.from(got)).toEqual(naive(src, shape, stride, offset + extra));
    }
  });

  it('keeps the array type, handles scalars and empty views', () => {
    const src = Float32Array.from([1, 2, 3, 4]);
    expect(gatherStrided(src, [], [], 2)).toEqual(Float32Array.from([3]));
    expect(gatherStrided(src, [0, 3], [3, 1], 0).length).toBe(0);
    expect(gatherStrided(src, [2, 2], [1, 2], 0)).toEqual(Float32Array.from([1, 3, 2, 4]));
  });

  it('refuses views reaching past the source', () => {
    expect(() => gatherStrided(new Float32Array(4), [2, 2], [2, 2], 0)).toThrow(RangeError);
    expect(() => gatherStrided(new Float32Array(4), [4], [1], 1)).toThrow(RangeError);
  });

  it('contiguity and reach', () => {
    expect(isContiguous([2, 3], [3, 1])).toBe(true);
    expect(isContiguous([3, 2], [1, 3])).toBe(false);
    expect(isContiguous([1, 3], [99, 1])).toBe(true);
    expect(maxRelativeIndex([3, 2], [1, 3])).toBe(5);
    expect(maxRelativeIndex([0, 2], [1, 3])).toBe(-1);
    expect(maxRelativeIndex([2 ** 40, 2 ** 40], [2 ** 40, 1])).toBeNull();
  });
});
