// The 4x4 register-blocked kernel shared by the Gram matrix and the rank-2k update.

import { madd } from './madd';

/**
 * C[0:4, 0:4] ±= P_I · P_Jᵀ over kc, where P_I and P_J are 4-row strips packed [kk][4] (32 bytes per
 * kk) and C is column-major with leading dimension ldb bytes. Rows of P_I are read as f64x2 pairs,
 * columns of P_J as broadcasts; 8 accumulators (16 of 16 xmm registers with operands) keep the
 * multiply and add pipes busy. `subtract` is a compile-time constant at every call site.
 */
@inline export function micro4x4(pi: usize, pj: usize, kc: i32, c: usize, ldb: usize, subtract: bool): void {
  let c0a = f64x2.splat(0.0), c0b = f64x2.splat(0.0);
  let c1a = f64x2.splat(0.0), c1b = f64x2.splat(0.0);
  let c2a = f64x2.splat(0.0), c2b = f64x2.splat(0.0);
  let c3a = f64x2.splat(0.0), c3b = f64x2.splat(0.0);
  const end = pi + ((<usize>kc * 4) << 3);
  while (pi < end) {
    const a0 = v128.load(pi);
    const a1 = v128.load(pi, 16);
    let b = v128.load64_splat(pj);
    c0a = madd(a0, b, c0a); c0b = madd(a1, b, c0b);
    b = v128.load64_splat(pj, 8);
    c1a = madd(a0, b, c1a); c1b = madd(a1, b, c1b);
    b = v128.load64_splat(pj, 16);
    c2a = madd(a0, b, c2a); c2b = madd(a1, b, c2b);
    b = v128.load64_splat(pj, 24);
    c3a = madd(a0, b, c3a); c3b = madd(a1, b, c3b);
    pi += 32; pj += 32;
  }
  update(c, c0a, c0b, subtract);
  c += ldb;
  update(c, c1a, c1b, subtract);
  c += ldb;
  update(c, c2a, c2b, subtract);
  c += ldb;
  update(c, c3a, c3b, subtract);
}

@inline function update(c: usize, lo: v128, hi: v128, subtract: bool): void {
  if (subtract) {
    v128.store(c, f64x2.sub(v128.load(c), lo));
    v128.store(c, f64x2.sub(v128.load(c, 16), hi), 16);
  } else {
    v128.store(c, f64x2.add(v128.load(c), lo));
    v128.store(c, f64x2.add(v128.load(c, 16), hi), 16);
  }
}
