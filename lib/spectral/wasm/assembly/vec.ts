// Small f64x2 vector helpers over raw pointers (unaligned access is allowed and cheap here).

import { madd } from './madd';

/** Σ x[i]·y[i] for i < len. */
@inline export function dot(x: usize, y: usize, len: i32): f64 {
  let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = (<usize>i) << 3;
    s0 = madd(v128.load(x + o), v128.load(y + o), s0);
    s1 = madd(v128.load(x + o, 16), v128.load(y + o, 16), s1);
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; i < len; i++) s += load<f64>(x + ((<usize>i) << 3)) * load<f64>(y + ((<usize>i) << 3));
  return s;
}

/** y[i] += a1·x1[i] + a2·x2[i] for i < len. */
@inline export function axpy2(a1: f64, x1: usize, a2: f64, x2: usize, y: usize, len: i32): void {
  const va = f64x2.splat(a1), vb = f64x2.splat(a2);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = (<usize>i) << 3;
    if (ASC_FEATURE_RELAXED_SIMD) {
      v128.store(y + o, madd(vb, v128.load(x2 + o), madd(va, v128.load(x1 + o), v128.load(y + o))));
    } else {
      v128.store(y + o, f64x2.add(v128.load(y + o),
        f64x2.add(f64x2.mul(va, v128.load(x1 + o)), f64x2.mul(vb, v128.load(x2 + o)))));
    }
  }
  for (; i < len; i++) {
    const o = (<usize>i) << 3;
    store<f64>(y + o, load<f64>(y + o) + a1 * load<f64>(x1 + o) + a2 * load<f64>(x2 + o));
  }
}

/** x[i] *= a for i < len. */
@inline export function scal(a: f64, x: usize, len: i32): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(x + o, f64x2.mul(va, v128.load(x + o)));
  }
  for (; i < len; i++) store<f64>(x + ((<usize>i) << 3), a * load<f64>(x + ((<usize>i) << 3)));
}
