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

const IBLOCK_STRIPS: i32 = 64;

/** y[r] += A[r, j..j+1]·v[j..j+1], y[j..j+1] += A[r, j..j+1]ᵀ v[r] over the lower triangle, columns [ja, jb). */
function symvColumns(a: usize, ldb: usize, n: i32, v: usize, y: usize, ja: i32, jb: i32): void {
  let j = ja;
  for (; j + 2 <= jb; j += 2) {
    const c0 = a + <usize>j * ldb, c1 = c0 + ldb;
    const oj = (<usize>j) << 3;
    const vj = load<f64>(v + oj), vj1 = load<f64>(v + oj, 8);
    const ajj = load<f64>(c0 + oj), aj1j = load<f64>(c0 + oj, 8), aj1j1 = load<f64>(c1 + oj, 8);
    let acc0 = ajj * vj + aj1j * vj1;
    let acc1 = aj1j * vj + aj1j1 * vj1;
    const bv0 = f64x2.splat(vj), bv1 = f64x2.splat(vj1);
    let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0);
    let r = j + 2;
    for (; r + 2 <= n; r += 2) {
      const o = (<usize>r) << 3;
      const x0 = v128.load(c0 + o), x1 = v128.load(c1 + o), vr = v128.load(v + o);
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.add(f64x2.mul(x0, bv0), f64x2.mul(x1, bv1))));
      s0 = f64x2.add(s0, f64x2.mul(x0, vr));
      s1 = f64x2.add(s1, f64x2.mul(x1, vr));
    }
    for (; r < n; r++) {
      const o = (<usize>r) << 3;
      const x0 = load<f64>(c0 + o), x1 = load<f64>(c1 + o), vr = load<f64>(v + o);
      store<f64>(y + o, load<f64>(y + o) + x0 * vj + x1 * vj1);
      acc0 += x0 * vr; acc1 += x1 * vr;
    }
    acc0 += f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    acc1 += f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    store<f64>(y + oj, load<f64>(y + oj) + acc0);
    store<f64>(y + oj, load<f64>(y + oj, 8) + acc1, 8);
  }
  if (j < jb) {
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

/** C[0:4, 0:4] -= Vi·Wjᵀ + Wi·Vjᵀ over nb (packed strips [p][4]). */
@inline function micro2k(vi: usize, wi: usize, vj: usize, wj: usize, nb: i32, c: usize, ldb: usize): void {
  let c0a = f64x2.splat(0.0), c0b = f64x2.splat(0.0);
  let c1a = f64x2.splat(0.0), c1b = f64x2.splat(0.0);
  let c2a = f64x2.splat(0.0), c2b = f64x2.splat(0.0);
  let c3a = f64x2.splat(0.0), c3b = f64x2.splat(0.0);
  const end = vi + ((<usize>nb * 4) << 3);
  while (vi < end) {
    const v0 = v128.load(vi), v1 = v128.load(vi, 16);
    const w0 = v128.load(wi), w1 = v128.load(wi, 16);
    let bw = v128.load64_splat(wj), bv = v128.load64_splat(vj);
    c0a = f64x2.add(c0a, f64x2.add(f64x2.mul(v0, bw), f64x2.mul(w0, bv)));
    c0b = f64x2.add(c0b, f64x2.add(f64x2.mul(v1, bw), f64x2.mul(w1, bv)));
    bw = v128.load64_splat(wj, 8); bv = v128.load64_splat(vj, 8);
    c1a = f64x2.add(c1a, f64x2.add(f64x2.mul(v0, bw), f64x2.mul(w0, bv)));
    c1b = f64x2.add(c1b, f64x2.add(f64x2.mul(v1, bw), f64x2.mul(w1, bv)));
    bw = v128.load64_splat(wj, 16); bv = v128.load64_splat(vj, 16);
    c2a = f64x2.add(c2a, f64x2.add(f64x2.mul(v0, bw), f64x2.mul(w0, bv)));
    c2b = f64x2.add(c2b, f64x2.add(f64x2.mul(v1, bw), f64x2.mul(w1, bv)));
    bw = v128.load64_splat(wj, 24); bv = v128.load64_splat(vj, 24);
    c3a = f64x2.add(c3a, f64x2.add(f64x2.mul(v0, bw), f64x2.mul(w0, bv)));
    c3b = f64x2.add(c3b, f64x2.add(f64x2.mul(v1, bw), f64x2.mul(w1, bv)));
    vi += 32; wi += 32; vj += 32; wj += 32;
  }
  v128.store(c, f64x2.sub(v128.load(c), c0a)); v128.store(c, f64x2.sub(v128.load(c, 16), c0b), 16);
  c += ldb;
  v128.store(c, f64x2.sub(v128.load(c), c1a)); v128.store(c, f64x2.sub(v128.load(c, 16), c1b), 16);
  c += ldb;
  v128.store(c, f64x2.sub(v128.load(c), c2a)); v128.store(c, f64x2.sub(v128.load(c, 16), c2b), 16);
  c += ldb;
  v128.store(c, f64x2.sub(v128.load(c), c3a)); v128.store(c, f64x2.sub(v128.load(c, 16), c3b), 16);
}

/**
 * Reduces the n x n symmetric matrix in `a` (lower, ld) to tridiagonal (d, e).
 * Work areas (f64): wb ld*nb; vp, wp ld*nb each; vbuf ld; ybuf nthreads*ld; scr nthreads*(2nb+8).
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
      }
      barrier(ctrl, nthreads);

      // y_t = (share of) A(c1:n, c1:n)·v, and partial sums of Vᵀv, Wᵀv over our rows.
      const ja = triangleSplit(c1, n, n, tid, nthreads, 2);
      const jb = triangleSplit(c1, n, n, tid + 1, nthreads, 2);
      memory.fill(myY + ((<usize>c1) << 3), 0, (<usize>(m1 + 1)) << 3);
      symvColumns(a, ldb, n, vbuf, myY, ja, jb);
      const ra = evenSplit(c1, n, tid, nthreads, 2), rb = evenSplit(c1, n, tid + 1, nthreads, 2);
      const ro = (<usize>ra) << 3;
      for (let p = 0; p < i; p++) {
        store<f64>(myScr + ((<usize>p) << 3), dot(a + <usize>(k + p) * ldb + ro, vbuf + ro, rb - ra));
        store<f64>(myScr + ((<usize>(nb + p)) << 3), dot(wb + <usize>p * ldb + ro, vbuf + ro, rb - ra));
      }
      barrier(ctrl, nthreads);

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
      barrier(ctrl, nthreads);
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
      // pack V and W rows [s, n) into 4-row strips [p][4] (zero past n)
      const strips = (n - s + 3) >> 2;
      for (let st = 0; st < strips; st++) {
        const dv = vp + ((<usize>st * 4 * nb) << 3), dw = wp + ((<usize>st * 4 * nb) << 3);
        for (let q = 0; q < 4; q++) {
          const r = s + st * 4 + q;
          for (let p = 0; p < pb; p++) {
            const o = (<usize>(p * 4 + q)) << 3;
            if (r < n) {
              store<f64>(dv + o, load<f64>(a + <usize>(k + p) * ldb + ((<usize>r) << 3)));
              store<f64>(dw + o, load<f64>(wb + <usize>p * ldb + ((<usize>r) << 3)));
            } else {
              store<f64>(dv + o, 0.0);
              store<f64>(dw + o, 0.0);
            }
          }
        }
      }
    }
    barrier(ctrl, nthreads);
    // trailing update A(s:n, s:n) -= V Wᵀ + W Vᵀ (lower triangle, 4x4 tiles)
    const strips = (n - s + 3) >> 2;
    const js0 = triangleSplit(0, strips, strips, tid, nthreads, 1);
    const js1 = triangleSplit(0, strips, strips, tid + 1, nthreads, 1);
    const stripBytes = (<usize>pb * 4) << 3;
    const base = a + ((<usize>s) << 3) + <usize>s * ldb;
    for (let ib = js0; ib < strips; ib += IBLOCK_STRIPS) {
      const ie = min(ib + IBLOCK_STRIPS, strips);
      const jEnd = min(js1, ie);
      for (let js = js0; js < jEnd; js++) {
        const vj = vp + <usize>js * stripBytes, wj = wp + <usize>js * stripBytes;
        const colBase = base + <usize>js * 4 * ldb;
        for (let is = max(js, ib); is < ie; is++) {
          micro2k(vp + <usize>is * stripBytes, wp + <usize>is * stripBytes, vj, wj, pb,
            colBase + ((<usize>is * 4) << 3), ldb);
        }
      }
    }
    barrier(ctrl, nthreads);
    k = s;
  }
  if (tid == 0) {
    const off = (<usize>(n - 1)) << 3;
    store<f64>(d + off, load<f64>(a + <usize>(n - 1) * ldb + off));
  }
  barrier(ctrl, nthreads);
}
