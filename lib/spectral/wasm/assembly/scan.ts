// The outlier scan's pass over W (deflate.ts, `fusedPass` with two columns) for float32 or bfloat16 rows: for each row i,
// y_i = W_i·X and Z += W_iᵀ·y_i, and the rows' sum of squares. X and Z are cols x 2, y rows x 2, all float64 with
// the two columns interleaved, so one f64x2 holds a row of each.
//
// Bitwise the same as the JS pass: every product is rounded and then added (no fused multiply-add), each row's
// sums run over j in order, rows are added to Z in order and their sums of squares to the total in order. Four
// rows go through the loops together, so their four dependency chains (an add's latency per element each) overlap.

import { bf16ToF32 } from './gram';

/** Entry j of the row at p: T = f32 (float32) or u16 (bfloat16 bits, converted exactly). */
@inline function w4<T>(p: usize, j: i32): f64 {
  if (sizeof<T>() == 2) return <f64>bf16ToF32(<u32>load<u16>(p + ((<usize>j) << 1)));
  return <f64>load<f32>(p + ((<usize>j) << 2));
}

/**
 * Adds rows [0, rows) of the float32 block at `src` (row-major, `cols` wide) to the pass: y (rows x 2) is written,
 * z (cols x 2) accumulated. Returns `fro` plus the rows' sums of squares (each 0 when !wantFro), added row by row.
 */
export function scanRowsF32(src: usize, rows: i32, cols: i32, x: usize, y: usize, z: usize, wantFro: bool, fro: f64): f64 {
  return scanRows<f32>(src, rows, cols, x, y, z, wantFro, fro);
}

/** scanRowsF32 for a block of bfloat16 bits (2 bytes per entry): the numbers of its float32 decoding, bit for bit. */
export function scanRowsBf16(src: usize, rows: i32, cols: i32, x: usize, y: usize, z: usize, wantFro: bool, fro: f64): f64 {
  return scanRows<u16>(src, rows, cols, x, y, z, wantFro, fro);
}

@inline function scanRows<T>(src: usize, rows: i32, cols: i32, x: usize, y: usize, z: usize, wantFro: bool, fro: f64): f64 {
  const rowBytes = (<usize>cols) * sizeof<T>();
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const r0 = src + <usize>i * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    let a0 = f64x2.splat(0.0), a1 = a0, a2 = a0, a3 = a0;
    let f0: f64 = 0.0, f1: f64 = 0.0, f2: f64 = 0.0, f3: f64 = 0.0;
    for (let j = 0; j < cols; j++) {
      const xj = v128.load(x + ((<usize>j) << 4));
      const v0 = w4<T>(r0, j), v1 = w4<T>(r1, j), v2 = w4<T>(r2, j), v3 = w4<T>(r3, j);
      a0 = f64x2.add(a0, f64x2.mul(f64x2.splat(v0), xj));
      a1 = f64x2.add(a1, f64x2.mul(f64x2.splat(v1), xj));
      a2 = f64x2.add(a2, f64x2.mul(f64x2.splat(v2), xj));
      a3 = f64x2.add(a3, f64x2.mul(f64x2.splat(v3), xj));
      if (wantFro) {
        f0 += v0 * v0; f1 += v1 * v1; f2 += v2 * v2; f3 += v3 * v3;
      }
    }
    fro += f0; fro += f1; fro += f2; fro += f3;
    const yo = y + ((<usize>i) << 4);
    v128.store(yo, a0); v128.store(yo, a1, 16); v128.store(yo, a2, 32); v128.store(yo, a3, 48);
    for (let j = 0; j < cols; j++) {
      const o = z + ((<usize>j) << 4);
      let s = v128.load(o);
      s = f64x2.add(s, f64x2.mul(f64x2.splat(w4<T>(r0, j)), a0));
      s = f64x2.add(s, f64x2.mul(f64x2.splat(w4<T>(r1, j)), a1));
      s = f64x2.add(s, f64x2.mul(f64x2.splat(w4<T>(r2, j)), a2));
      s = f64x2.add(s, f64x2.mul(f64x2.splat(w4<T>(r3, j)), a3));
      v128.store(o, s);
    }
  }
  for (; i < rows; i++) {
    const r0 = src + <usize>i * rowBytes;
    let a0 = f64x2.splat(0.0);
    let f0: f64 = 0.0;
    for (let j = 0; j < cols; j++) {
      const v0 = w4<T>(r0, j);
      a0 = f64x2.add(a0, f64x2.mul(f64x2.splat(v0), v128.load(x + ((<usize>j) << 4))));
      if (wantFro) f0 += v0 * v0;
    }
    fro += f0;
    v128.store(y + ((<usize>i) << 4), a0);
    for (let j = 0; j < cols; j++) {
      const o = z + ((<usize>j) << 4);
      v128.store(o, f64x2.add(v128.load(o), f64x2.mul(f64x2.splat(w4<T>(r0, j)), a0)));
    }
  }
  return fro;
}
