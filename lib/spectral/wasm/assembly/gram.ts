// Half Gram matrix G = A Aᵀ (one triangle) of the smaller side of a weight matrix W.
//
// A is W itself when rows <= cols, else Wᵀ; G is n x n with n = min(rows, cols) and the inner
// dimension k = max(rows, cols). Only the lower triangle of G is produced, stored column-major
// with leading dimension `ld` (ld >= n, a multiple of 4, padding rows/columns are zero).
//
// Source types (SRC_*): W's slab is float32, float64 or bfloat16 (its stored bits, 2 bytes each: the
// host need not decode a BF16 checkpoint first).
//
// Precision: every element of A is converted to float64 when it is packed (exact for f32/bf16/f16
// input), products of two converted f32 values are exact in float64 (24 + 24 < 53 bits), and all
// sums are float64. The result is therefore the float64 Gram of the stored matrix, as accurate as
// WeightWatcher's `W.astype(float64)` route, only summed in a different order (relative error of an
// entry <= k * eps * sum |a_ik a_jk|).
//
// Blocking: the inner dimension is cut into chunks of `kc`; each chunk of A is packed into 4-row
// strips laid out [kk][4] (32 bytes per kk) so the 4x4 micro-kernel reads one strip with vector
// loads (rows) and the other with broadcast loads (columns). Row strips are grouped in blocks that
// fit in L2 while a 4-column strip stays in L1. Two pack buffers alternate, so one barrier per
// chunk suffices: a thread only overwrites a buffer after every thread passed the barrier that
// follows its last use.
//
// Threads: packing is split evenly by strips, the triangle by columns with equal numbers of
// entries per thread (triangleSplit).
//
// Slabs: the host may pass W in slabs of the inner dimension (a range [kBegin, kEnd) of W's columns
// when A = W, of W's rows when A = Wᵀ), one call per slab, so that only one slab of W ever sits in
// WebAssembly memory; G is zeroed by the first slab's call and accumulates over the calls.

import { barrier, triangleSplit, evenSplit } from './sync';
import { micro4x4 } from './micro';

const IBLOCK_STRIPS: i32 = 48;

/** Source element types of W's slab (the host's `srcType`). */
export const SRC_F32: i32 = 0;
export const SRC_F64: i32 = 1;
export const SRC_BF16: i32 = 2;

/** A bfloat16 (its 16 stored bits) as the float32 it denotes, exactly: the bits are float32's upper half. */
@inline export function bf16ToF32(bits: u32): f32 {
  return reinterpret<f32>(bits << 16);
}

/** Element idx of the slab as float64; T = f32, f64 or u16 (bfloat16 bits). */
@inline function loadA<T>(src: usize, idx: usize): f64 {
  if (sizeof<T>() == 8) return load<f64>(src + (idx << 3));
  if (sizeof<T>() == 2) return <f64>bf16ToF32(<u32>load<u16>(src + (idx << 1)));
  return <f64>load<f32>(src + (idx << 2));
}

type PackStrips = (src: usize, trans: bool, cols: i32, sw: i32, n: i32, kk0: i32, kc: i32, s0: i32, s1: i32, pack: usize) => void;

/** 4 consecutive values from element idx as float32 lanes: T = f32, or u16 (bfloat16 bits, shifted into place). */
@inline function load4<T>(src: usize, idx: usize): v128 {
  if (sizeof<T>() == 2) return i32x4.shl(i32x4.extend_low_i16x8_u(v128.load64_zero(src + (idx << 1))), 16);
  return v128.load(src + (idx << 2));
}

/**
 * Packs rows [4*s0, 4*s1) of A, slab-local inner range [kk0, kk0 + kc), into `pack` (strip s at
 * s*4*kc). The slab at `src` is W[:, slab] (rows x sw, row-major) when A = W, W[slab, :] when A = Wᵀ,
 * its elements of type T.
 */
function packF32(src: usize, trans: bool, cols: i32, sw: i32, n: i32, kk0: i32, kc: i32, s0: i32, s1: i32, pack: usize): void {
  packStripsOf<f32>(src, trans, cols, sw, n, kk0, kc, s0, s1, pack);
}
function packF64(src: usize, trans: bool, cols: i32, sw: i32, n: i32, kk0: i32, kc: i32, s0: i32, s1: i32, pack: usize): void {
  packStripsOf<f64>(src, trans, cols, sw, n, kk0, kc, s0, s1, pack);
}
function packBf16(src: usize, trans: bool, cols: i32, sw: i32, n: i32, kk0: i32, kc: i32, s0: i32, s1: i32, pack: usize): void {
  packStripsOf<u16>(src, trans, cols, sw, n, kk0, kc, s0, s1, pack);
}

@inline function packStripsOf<T>(
  src: usize, trans: bool, cols: i32, sw: i32, n: i32,
  kk0: i32, kc: i32, s0: i32, s1: i32, pack: usize,
): void {
  if (!trans) {
    // A = W, row i of A is row i of W: contiguous along kk.
    for (let s = s0; s < s1; s++) {
      const dst = pack + ((<usize>s * 4 * kc) << 3);
      let kkDone = 0;
      if (sizeof<T>() != 8 && s * 4 + 4 <= n) {
        // a whole strip of float32/bfloat16 rows: 4 values of each of its 4 rows at a time, transposed in registers
        kkDone = kc & ~3;
        const r0 = <usize>(s * 4) * sw + kk0, r1 = r0 + <usize>sw, r2 = r1 + <usize>sw, r3 = r2 + <usize>sw;
        for (let kk = 0; kk < kkDone; kk += 4) {
          const a = load4<T>(src, r0 + kk), b = load4<T>(src, r1 + kk);
          const c = load4<T>(src, r2 + kk), d = load4<T>(src, r3 + kk);
          const ab0 = v128.shuffle<u32>(a, b, 0, 4, 1, 5), cd0 = v128.shuffle<u32>(c, d, 0, 4, 1, 5); // kk, kk+1
          const ab1 = v128.shuffle<u32>(a, b, 2, 6, 3, 7), cd1 = v128.shuffle<u32>(c, d, 2, 6, 3, 7); // kk+2, kk+3
          const o = dst + ((<usize>kk * 4) << 3);
          v128.store(o, f64x2.promote_low_f32x4(ab0));
          v128.store(o, f64x2.promote_low_f32x4(cd0), 16);
          v128.store(o, f64x2.promote_low_f32x4(v128.shuffle<u32>(ab0, ab0, 2, 3, 0, 1)), 32);
          v128.store(o, f64x2.promote_low_f32x4(v128.shuffle<u32>(cd0, cd0, 2, 3, 0, 1)), 48);
          v128.store(o, f64x2.promote_low_f32x4(ab1), 64);
          v128.store(o, f64x2.promote_low_f32x4(cd1), 80);
          v128.store(o, f64x2.promote_low_f32x4(v128.shuffle<u32>(ab1, ab1, 2, 3, 0, 1)), 96);
          v128.store(o, f64x2.promote_low_f32x4(v128.shuffle<u32>(cd1, cd1, 2, 3, 0, 1)), 112);
        }
      }
      for (let q = 0; q < 4; q++) {
        const i = s * 4 + q;
        if (i < n) {
          const base = <usize>i * sw + kk0;
          for (let kk = kkDone; kk < kc; kk++) {
            store<f64>(dst + ((<usize>(kk * 4 + q)) << 3), loadA<T>(src, base + kk));
          }
        } else {
          for (let kk = 0; kk < kc; kk++) store<f64>(dst + ((<usize>(kk * 4 + q)) << 3), 0.0);
        }
      }
    }
  } else {
    // A = Wᵀ, row i of A is column i of W: the 4 rows of a strip are 4 adjacent values of a W row.
    for (let kk = 0; kk < kc; kk++) {
      const rowBase = <usize>(kk0 + kk) * cols;
      for (let s = s0; s < s1; s++) {
        const dst = pack + ((<usize>s * 4 * kc + kk * 4) << 3);
        const i0 = s * 4;
        if (i0 + 4 <= n) {
          if (sizeof<T>() == 8) {
            const p = src + ((rowBase + i0) << 3);
            v128.store(dst, v128.load(p));
            v128.store(dst, v128.load(p, 16), 16);
          } else {
            // 4 float32 (or bfloat16 -> float32) -> 2 + 2 float64
            const v = load4<T>(src, rowBase + i0);
            v128.store(dst, f64x2.promote_low_f32x4(v));
            v128.store(dst, f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1)), 16);
          }
        } else {
          for (let q = 0; q < 4; q++) {
            const i = i0 + q;
            store<f64>(dst + (<usize>q << 3), i < n ? loadA<T>(src, rowBase + i) : 0.0);
          }
        }
      }
    }
  }
}

/**
 * Thread `tid` of `nthreads` adds its share of the slab [kBegin, kEnd) to G (lower triangle) = A Aᵀ.
 * src: the slab of W (element type `srcType`: SRC_F32, SRC_F64 or SRC_BF16; see packStrips) for W of shape rows x cols; g: ld*ld f64, zeroed
 * here when kBegin = 0; pack0/pack1: ld*kc f64 each.
 */
export function gramLower(
  tid: i32, nthreads: i32, ctrl: usize,
  src: usize, srcType: i32, rows: i32, cols: i32,
  g: usize, ld: i32, pack0: usize, pack1: usize, kc: i32,
  kBegin: i32, kEnd: i32,
): void {
  const trans = rows > cols;
  const n = trans ? cols : rows;
  const k = kEnd - kBegin;
  const strips = ld >> 2;
  const ldb = (<usize>ld) << 3;

  if (kBegin == 0) {
    // zero our share of G (whole columns)
    const z0 = evenSplit(0, ld, tid, nthreads, 4), z1 = evenSplit(0, ld, tid + 1, nthreads, 4);
    memory.fill(g + <usize>z0 * ldb, 0, <usize>(z1 - z0) * ldb);
  }

  const ps0 = evenSplit(0, strips, tid, nthreads, 1), ps1 = evenSplit(0, strips, tid + 1, nthreads, 1);
  const js0 = triangleSplit(0, strips, strips, tid, nthreads, 1);
  const js1 = triangleSplit(0, strips, strips, tid + 1, nthreads, 1);

  // one packing routine per source type, called through a table so that gramLower keeps one call site (the machine
  // code V8 makes of its micro-kernel loop is sensitive to the shape of the function around it)
  const packStrips: PackStrips = srcType == SRC_F64 ? packF64 : srcType == SRC_BF16 ? packBf16 : packF32;
  let chunk = 0;
  for (let kk0 = 0; kk0 < k; kk0 += kc) {
    const kcq = min(kc, k - kk0);
    const pack = (chunk & 1) ? pack1 : pack0;
    packStrips(src, trans, cols, k, n, kk0, kcq, ps0, ps1, pack);
    barrier(ctrl, nthreads);
    const stripBytes = (<usize>kcq * 4) << 3;
    for (let ib = js0; ib < strips; ib += IBLOCK_STRIPS) {
      const ie = min(ib + IBLOCK_STRIPS, strips);
      const jEnd = min(js1, ie);
      for (let js = js0; js < jEnd; js++) {
        const pj = pack + <usize>js * stripBytes;
        const colBase = g + <usize>js * 4 * ldb;
        for (let is = max(js, ib); is < ie; is++) {
          micro4x4(pack + <usize>is * stripBytes, pj, kcq, colBase + ((<usize>is * 4) << 3), ldb, false);
        }
      }
    }
    chunk++;
  }
  barrier(ctrl, nthreads);
}
