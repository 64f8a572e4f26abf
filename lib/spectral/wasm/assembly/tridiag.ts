// Blocked Householder reduction of a symmetric matrix to tridiagonal form (LAPACK dsytrd with
// uplo = 'L': a dlatrd-style panel of `nb` columns, then a rank-2k update of the trailing matrix).
//
// Why blocked: the unblocked reduction does a rank-2 update of the whole trailing matrix per
// column (two passes over memory per column). Here each column costs one pass (the symmetric
// matrix-vector product, memory-bound), and the updates of the trailing matrix are deferred
// and applied once per panel as A -= V Wᵀ + W Vᵀ, a matrix-matrix product that runs from cache.
//
// Storage: `a` is the lower triangle, column-major, leading dimension ld (padding rows/columns
// zero; the strict upper triangle is scratch). Householder vectors overwrite the lower triangle;
// d (diagonal) and e (sub-diagonal, e[n-1] = 0) receive the tridiagonal matrix, whose eigenvalues
// are those of A (orthogonal similarity; backward error O(n eps ||A||)).
//
// Threads run this same function (SPMD) and meet at barriers: per column, thread 0 updates the
// column and builds the reflector, then all threads share the symmetric product (split by
// triangle area) and the panel corrections (split by rows); per panel, all threads share the
// rank-2k update (split by triangle area).

import { barrier, triangleSplit, evenSplit } from './sync';
import { dot, axpy2, scal } from './vec';
import { micro4x4 } from './micro';
import { madd } from './madd';
import { now, lap } from './clock';

// Phase clocks of thread 0 (clock.ts slots): [0] column update + reflector (thread 0 alone),
// [1] symmetric product, [2] panel corrections, [3] rank-2k update, [4] waiting at barriers.

const IBLOCK_STRIPS: i32 = 64;

/** Lower-triangle symmetric product restricted to columns [ja, jb): y += A[:, ja:jb]·v[ja:jb] and
 *  y[ja:jb] += A[:, ja:jb]ᵀ·v, reading each stored element once. Four columns share one pass over
 *  their rows (fewer passes over y, four independent dot-product chains). */
function symvColumns(a: usize, ldb: usize, n: i32, v: usize, y: usize, ja: i32, jb: i32): void {
  let j = ja;
  for (; j + 4 <= jb; j += 4) {
    const c0 = a + <usize>j * ldb, c1 = c0 + ldb, c2 = c1 + ldb, c3 = c2 + ldb;
    const oj = (<usize>j) << 3;
    const v0 = load<f64>(v + oj), v1 = load<f64>(v + oj, 8), v2 = load<f64>(v + oj, 16), v3 = load<f64>(v + oj, 24);
    // the 4x4 diagonal block (lower part, mirrored)
    const a00 = load<f64>(c0 + oj), a10 = load<f64>(c0 + oj, 8), a20 = load<f64>(c0 + oj, 16), a30 = load<f64>(c0 + oj, 24);
    const a11 = load<f64>(c1 + oj, 8), a21 = load<f64>(c1 + oj, 16), a31 = load<f64>(c1 + oj, 24);
    const a22 = load<f64>(c2 + oj, 16), a32 = load<f64>(c2 + oj, 24);
    const a33 = load<f64>(c3 + oj, 24);
    let acc0 = a00 * v0 + a10 * v1 + a20 * v2 + a30 * v3;
    let acc1 = a10 * v0 + a11 * v1 + a21 * v2 + a31 * v3;
    let acc2 = a20 * v0 + a21 * v1 + a22 * v2 + a32 * v3;
    let acc3 = a30 * v0 + a31 * v1 + a32 * v2 + a33 * v3;
    const b0 = f64x2.splat(v0), b1 = f64x2.splat(v1), b2 = f64x2.splat(v2), b3 = f64x2.splat(v3);
    let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0), s2 = f64x2.splat(0.0), s3 = f64x2.splat(0.0);
    let r = j + 4;
    for (; r + 2 <= n; r += 2) {
      const o = (<usize>r) << 3;
      const vr = v128.load(v + o);
      const x0 = v128.load(c0 + o), x1 = v128.load(c1 + o), x2 = v128.load(c2 + o), x3 = v128.load(c3 + o);
      s0 = madd(x0, vr, s0);
      s1 = madd(x1, vr, s1);
      s2 = madd(x2, vr, s2);
      s3 = madd(x3, vr, s3);
      if (ASC_FEATURE_RELAXED_SIMD) {
        // two independent chains of two fused steps, then one add
        v128.store(y + o, f64x2.add(madd(x1, b1, madd(x0, b0, v128.load(y + o))), madd(x3, b3, f64x2.mul(x2, b2))));
      } else {
        v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.add(
          f64x2.add(f64x2.mul(x0, b0), f64x2.mul(x1, b1)),
          f64x2.add(f64x2.mul(x2, b2), f64x2.mul(x3, b3)))));
      }
    }
    for (; r < n; r++) {
      const o = (<usize>r) << 3;
      const vr = load<f64>(v + o);
      const x0 = load<f64>(c0 + o), x1 = load<f64>(c1 + o), x2 = load<f64>(c2 + o), x3 = load<f64>(c3 + o);
      store<f64>(y + o, load<f64>(y + o) + x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3);
      acc0 += x0 * vr; acc1 += x1 * vr; acc2 += x2 * vr; acc3 += x3 * vr;
    }
    store<f64>(y + oj, load<f64>(y + oj) + acc0 + f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1));
    store<f64>(y + oj, load<f64>(y + oj, 8) + acc1 + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1), 8);
    store<f64>(y + oj, load<f64>(y + oj, 16) + acc2 + f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1), 16);
    store<f64>(y + oj, load<f64>(y + oj, 24) + acc3 + f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1), 24);
  }
  for (; j < jb; j++) {
    const c0 = a + <usize>j * ldb;
    const oj = (<usize>j) << 3;
    const vj = load<f64>(v + oj);
    let acc = load<f64>(c0 + oj) * vj;
    for (let r = j + 1; r < n; r++) {
      const o = (<usize>r) << 3;
      const x0 = load<f64>(c0 + o);
      store<f64>(y + o, load<f64>(y + o) + x0 * vj);
      acc += x0 * load<f64>(v + o);
    }
    store<f64>(y + oj, load<f64>(y + oj) + acc);
  }
}

/**
 * Reduces the n x n symmetric matrix in `a` (lower, ld) to tridiagonal (d, e).
 * Work areas (f64): wb ld*nb; vp, wp ld*2nb each (packed [V W] and [W V]); vbuf ld; ybuf nthreads*ld; scr nthreads*(2nb+8).
 */
export function tridiagLower(
  tid: i32, nthreads: i32, ctrl: usize,
  a: usize, n: i32, ld: i32, d: usize, e: usize,
  wb: usize, vp: usize, wp: usize, vbuf: usize, ybuf: usize, scr: usize, nb: i32,
): void {
  const ldb = (<usize>ld) << 3;
  const scrStride = (<usize>(2 * nb + 8)) << 3;
  const myY = ybuf + <usize>tid * ldb;
  const myScr = scr + <usize>tid * scrStride;
  if (tid == 0) {
    memory.fill(vbuf, 0, ldb);
    memory.fill(wb, 0, ldb * nb);
    store<f64>(e + ((<usize>(n - 1)) << 3), 0.0);
  }
  barrier(ctrl, nthreads);
  const prof = tid == 0;
  let clock = prof ? now() : 0.0;
  let tau: f64 = 0.0;
  let k = 0;
  while (k < n - 1) {
    const pb = min(nb, n - 1 - k);
    for (let i = 0; i < pb; i++) {
      const c = k + i;
      const c1 = c + 1;
      const m1 = n - c1;
      const colc = a + <usize>c * ldb;
      if (tid == 0) {
        // Finish w of the previous column: w = tau·y + alpha·v (y is in wb column i-1).
        if (i > 0) {
          const wprev = wb + <usize>(i - 1) * ldb;
          let yv: f64 = 0.0;
          for (let t = 0; t < nthreads; t++) yv += load<f64>(scr + <usize>t * scrStride + ((<usize>(2 * nb)) << 3));
          const alpha = -0.5 * tau * tau * yv;
          const off = (<usize>c) << 3; // rows >= c (= previous c1)
          const len = n - c;
          scal(tau, wprev + off, len);
          axpy2(alpha, vbuf + off, 0.0, vbuf + off, wprev + off, len);
        }
        // Bring column c up to date with the panel so far: a(c:n, c) -= V W(c,:)ᵀ + W V(c,:)ᵀ.
        const off = (<usize>c) << 3;
        for (let p = 0; p < i; p++) {
          const vcol = a + <usize>(k + p) * ldb;
          const wcol = wb + <usize>p * ldb;
          axpy2(-load<f64>(wcol + off), vcol + off, -load<f64>(vcol + off), wcol + off, colc + off, n - c);
        }
        store<f64>(d + off, load<f64>(colc + off));
        // Householder reflector annihilating a(c+2:n, c).
        const x = colc + ((<usize>c1) << 3);
        const alpha = load<f64>(x);
        const xn2 = dot(x + 8, x + 8, m1 - 1);
        let beta = alpha;
        tau = 0.0;
        if (xn2 > 0.0) {
          beta = Math.sqrt(alpha * alpha + xn2);
          if (alpha > 0.0) beta = -beta;
          tau = (beta - alpha) / beta;
          scal(1.0 / (alpha - beta), x + 8, m1 - 1);
        }
        store<f64>(e + off, beta);
        store<f64>(x, 1.0);
        store<f64>(vbuf + off, 0.0);
        memory.copy(vbuf + ((<usize>c1) << 3), x, (<usize>m1) << 3);
        clock = lap(ctrl, 0, clock);
      }
      barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);

      // y_t = (share of) A(c1:n, c1:n)·v, and partial sums of Vᵀv, Wᵀv over our rows.
      const ja = triangleSplit(c1, n, n, tid, nthreads, 4);
      const jb = triangleSplit(c1, n, n, tid + 1, nthreads, 4);
      memory.fill(myY + ((<usize>c1) << 3), 0, (<usize>(m1 + 1)) << 3);
      symvColumns(a, ldb, n, vbuf, myY, ja, jb);
      if (prof) clock = lap(ctrl, 1, clock);
      const ra = evenSplit(c1, n, tid, nthreads, 2), rb = evenSplit(c1, n, tid + 1, nthreads, 2);
      const ro = (<usize>ra) << 3;
      for (let p = 0; p < i; p++) {
        store<f64>(myScr + ((<usize>p) << 3), dot(a + <usize>(k + p) * ldb + ro, vbuf + ro, rb - ra));
        store<f64>(myScr + ((<usize>(nb + p)) << 3), dot(wb + <usize>p * ldb + ro, vbuf + ro, rb - ra));
      }
      if (prof) clock = lap(ctrl, 2, clock);
      barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);

      // y = Σ_t y_t - W (Vᵀv) - V (Wᵀv) on our rows, into wb column i; partial yᵀv.
      const wi = wb + <usize>i * ldb;
      for (let r = ra; r < rb; r++) {
        let s: f64 = 0.0;
        for (let t = 0; t < nthreads; t++) s += load<f64>(ybuf + <usize>t * ldb + ((<usize>r) << 3));
        store<f64>(wi + ((<usize>r) << 3), s);
      }
      for (let p = 0; p < i; p++) {
        let s1: f64 = 0.0, s2: f64 = 0.0;
        for (let t = 0; t < nthreads; t++) {
          s1 += load<f64>(scr + <usize>t * scrStride + ((<usize>p) << 3));
          s2 += load<f64>(scr + <usize>t * scrStride + ((<usize>(nb + p)) << 3));
        }
        axpy2(-s1, wb + <usize>p * ldb + ro, -s2, a + <usize>(k + p) * ldb + ro, wi + ro, rb - ra);
      }
      // slot 2nb is not read in this phase, so it can be written before the barrier
      store<f64>(myScr + ((<usize>(2 * nb)) << 3), dot(wi + ro, vbuf + ro, rb - ra));
      if (prof) clock = lap(ctrl, 2, clock);
      barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);
    }
    const s = k + pb;
    if (tid == 0) {
      // finish w of the panel's last column
      const wprev = wb + <usize>(pb - 1) * ldb;
      let yv: f64 = 0.0;
      for (let t = 0; t < nthreads; t++) yv += load<f64>(scr + <usize>t * scrStride + ((<usize>(2 * nb)) << 3));
      const alpha = -0.5 * tau * tau * yv;
      const off = (<usize>s) << 3;
      scal(tau, wprev + off, n - s);
      axpy2(alpha, vbuf + off, 0.0, vbuf + off, wprev + off, n - s);
      // Pack X = [V W] and Y = [W V] (rows [s, n), zero past n) into 4-row strips [p][4] of
      // 2pb columns, so that the rank-2k update V Wᵀ + W Vᵀ = X Yᵀ runs on the Gram kernel.
      const strips = (n - s + 3) >> 2;
      const w2 = 2 * pb;
      for (let st = 0; st < strips; st++) {
        const dx = vp + ((<usize>st * 4 * w2) << 3), dy = wp + ((<usize>st * 4 * w2) << 3);
        for (let q = 0; q < 4; q++) {
          const r = s + st * 4 + q;
          for (let p = 0; p < pb; p++) {
            const lo = (<usize>(p * 4 + q)) << 3, hi = (<usize>((pb + p) * 4 + q)) << 3;
            let vr: f64 = 0.0, wr: f64 = 0.0;
            if (r < n) {
              vr = load<f64>(a + <usize>(k + p) * ldb + ((<usize>r) << 3));
              wr = load<f64>(wb + <usize>p * ldb + ((<usize>r) << 3));
            }
            store<f64>(dx + lo, vr); store<f64>(dx + hi, wr);
            store<f64>(dy + lo, wr); store<f64>(dy + hi, vr);
          }
        }
      }
    }
    if (prof) clock = lap(ctrl, 0, clock);
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);
    // trailing update A(s:n, s:n) -= V Wᵀ + W Vᵀ (lower triangle, 4x4 tiles)
    const strips = (n - s + 3) >> 2;
    const js0 = triangleSplit(0, strips, strips, tid, nthreads, 1);
    const js1 = triangleSplit(0, strips, strips, tid + 1, nthreads, 1);
    const stripBytes = (<usize>pb * 8) << 3;
    const base = a + ((<usize>s) << 3) + <usize>s * ldb;
    for (let ib = js0; ib < strips; ib += IBLOCK_STRIPS) {
      const ie = min(ib + IBLOCK_STRIPS, strips);
      const jEnd = min(js1, ie);
      for (let js = js0; js < jEnd; js++) {
        const yj = wp + <usize>js * stripBytes;
        const colBase = base + <usize>js * 4 * ldb;
        for (let is = max(js, ib); is < ie; is++) {
          micro4x4(vp + <usize>is * stripBytes, yj, 2 * pb, colBase + ((<usize>is * 4) << 3), ldb, true);
        }
      }
    }
    if (prof) clock = lap(ctrl, 3, clock);
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);
    k = s;
  }
  if (tid == 0) {
    const off = (<usize>(n - 1)) << 3;
    store<f64>(d + off, load<f64>(a + <usize>(n - 1) * ldb + off));
  }
  barrier(ctrl, nthreads);
}
