// The 4x4 register-blocked kernel shared by the Gram matrix and the rank-2k update.

import { madd } from './madd';

/**
 * The one 4x4 tile kernel behind the two entry points below (all inlined, so the constant
 * arguments fold away): C[0:4, 0:4] ±= P_I · P_Jᵀ over kc, P_I's 4 rows for inner index kk at
 * pi + kk·strideI (32 when packed [kk][4]), P_J packed [kk][4]. Rows of P_I are read as f64x2
 * pairs, columns of P_J as broadcasts; 8 accumulators (16 of 16 xmm registers with operands) keep both FMA pipes busy.
 */
@inline function tile4x4(pi: usize, strideI: usize, pj: usize, kc: i32, c: usize, ldb: usize, subtract: bool): void {
  let c0a = f64x2.splat(0.0), c0b = f64x2.splat(0.0);
  let c1a = f64x2.splat(0.0), c1b = f64x2.splat(0.0);
  let c2a = f64x2.splat(0.0), c2b = f64x2.splat(0.0);
  let c3a = f64x2.splat(0.0), c3b = f64x2.splat(0.0);
  const end = pj + ((<usize>kc * 4) << 3);
  while (pj < end) {
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
    pi += strideI; pj += 32;
  }
  update(c, c0a, c0b, subtract);
  update(c + ldb, c1a, c1b, subtract);
  update(c + 2 * ldb, c2a, c2b, subtract);
  update(c + 3 * ldb, c3a, c3b, subtract);
}

/**
 * C[0:4, 0:4] ±= P_I · P_Jᵀ over kc, where P_I and P_J are 4-row strips packed [kk][4] (32 bytes per
 * kk) and C is column-major with leading dimension ldb bytes. `subtract` is a compile-time constant
 * at every call site.
 */
@inline export function micro4x4(pi: usize, pj: usize, kc: i32, c: usize, ldb: usize, subtract: bool): void {
  tile4x4(pi, 32, pj, kc, c, ldb, subtract);
}

/**
 * C[0:4, 0:4] += P_I · P_Jᵀ over kc where P_I is read in place with a stride: its 4 rows for inner
 * index kk are the 4 contiguous f64 at pi + kk·strideI (a 4-row block of a column-major matrix,
 * strideI = its leading dimension in bytes). P_J is packed [kk][4] as in micro4x4.
 */
@inline export function micro4x4Strided(pi: usize, strideI: usize, pj: usize, kc: i32, c: usize, ldb: usize): void {
  tile4x4(pi, strideI, pj, kc, c, ldb, false);
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
