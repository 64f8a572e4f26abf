// Stage 2 of the two-stage symmetric reduction: a symmetric BAND matrix (half-bandwidth b) to
// tridiagonal form by Householder bulge chasing (Schwarz; Lang; LAPACK dsb2st's kernels).
//
// Algorithm. Sweep j (j = 0 .. n-3) zeroes column j below the sub-diagonal and chases the bulge
// this creates down the band. With blocks I_k = [s_k, s_k + b), s_k = j + 1 + k b:
//   k = 0: the reflector H_0 = I - tau v vᵀ maps A(I_0, j) to (beta, 0, ..., 0);
//   every k: H_k is applied on both sides to the diagonal block D_k = A(I_k, I_k);
//            from the right to the block below it, B_k = A(I_{k+1}, I_k), which fills B_k in;
//            H_{k+1} is built from B_k's first column (keeping only its first entry) and applied
//            from the left to B_k; the next step starts at I_{k+1}.
// The part of B_k below the band (right of its first column) is left for the next sweeps, whose
// blocks are shifted by one row and column: sweep j+1 zeroes column j+1 of that fill, and so on.
// So at any time the matrix has at most 2b - 1 nonzero sub-diagonals. Every transformation is
// orthogonal, so the tridiagonal result has the eigenvalues of A (backward error O(n eps ||A||)).
// A sweep goes on when one of its reflectors is the identity (tau = 0): the blocks below may still
// hold fill of the previous sweep.
//
// Storage. The band is copied into a compact column-major band in `work`: column c keeps rows
// c .. c + 2B - 1 (B = b rounded up to a multiple of 4, see below) contiguously, element (r, c) at
// band + 8 (2B c + r - c). A step's working set (2B columns of 2B entries) is then a few KiB of
// contiguous memory instead of 2B scattered columns of the n x ld input, and the whole band of
// 2B n doubles (1 MiB for n = 4096, b = 16) stays in the L2 cache across sweeps. Entries of rows
// >= n are stored as zeros and stay zero (every reflector has zeros there), so blocks are clipped
// only in their number of columns (on the last step of a sweep).
//
// Block size. B = b rounded up to a multiple of 4 (B = b for the production widths 8, 16, 32): a
// matrix of bandwidth b also has bandwidth B, and with B a multiple of 4 every column segment of a
// block B_k is a whole number of f64x2 vectors (and of 4-row slices). The diagonal block
// is triangular: its columns go in pairs (the 2 x 2 triangle on top in scalars, the rows below in
// vectors); the last column of a clipped block with an odd number of columns goes alone, its
// segment rounded up to even length, the extra element (the first row of the block below) being
// multiplied by a zero padding entry of the vectors and its product dropped.
//
// Work area (f64): 8 (64-byte alignment) + 2 B n (band) + 5 (B + 4) (vectors v, vn, x, w, u)
// <= 8 + (2b + 6) n + 5 b + 35, which is less than ld (3b + 8) + 64 for any ld >= n + 4.
// `a` is only read (its strict upper triangle and padding rows are never touched).

import { madd } from './madd';
import { dot, axpy2 } from './vec';
import { barrier, evenSplit } from './sync';

/** B: b (at most n - 1, at least 1) rounded up to a multiple of 4. */
@inline function blockSize(n: i32, b: i32): i32 {
  let w = min(b, n - 1);
  if (w < 1) w = 1;
  return (w + 3) & ~3;
}

@inline function ld8(p: usize, i: i32): f64 { return load<f64>(p + ((<usize>i) << 3)); }
@inline function st8(p: usize, i: i32, x: f64): void { store<f64>(p + ((<usize>i) << 3), x); }
@inline function hsum(x: v128): f64 { return f64x2.extract_lane(x, 0) + f64x2.extract_lane(x, 1); }
@inline function zeros(p: usize, len: i32): void {
  const z = f64x2.splat(0.0);
  for (let i = 0; i < len; i += 2) v128.store(p + ((<usize>i) << 3), z);
}

/**
 * Householder reflector (dlarfg): for x of length len (even) with alpha = x[0], finds beta and
 * tau with (I - tau v vᵀ) x = (beta, 0, ..., 0)ᵀ, v[0] = 1, v = x / (alpha - beta) below; writes
 * v into `v` (length len), beta into x[0] and zeros into x[1..len). Returns tau (0 when x[1..] = 0).
 */
function reflector(x: usize, len: i32, v: usize): f64 {
  const alpha = load<f64>(x);
  const xn2 = dot(x + 8, x + 8, len - 1);
  st8(v, 0, 1.0);
  if (xn2 == 0.0) {
    zeros(v + 8, len - 2);
    st8(v, len - 1, 0.0);
    return 0.0;
  }
  let beta = Math.sqrt(alpha * alpha + xn2);
  if (alpha > 0.0) beta = -beta;
  const scale = f64x2.splat(1.0 / (alpha - beta));
  const zero = f64x2.splat(0.0);
  // v[1..len) = x[1..len) * scale and x[1..len) = 0: pairs [1, 2], [3, 4], ... then the last one.
  let i = 1;
  for (; i + 1 < len; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(v + o, f64x2.mul(v128.load(x + o), scale));
    v128.store(x + o, zero);
  }
  st8(v, len - 1, ld8(x, len - 1) / (alpha - beta));
  st8(x, len - 1, 0.0);
  store<f64>(x, beta);
  return (beta - alpha) / beta;
}

/**
 * Two-sided update of the symmetric diagonal block D = A(I, I) (B x B, lower triangle, first `m`
 * columns stored; rows and columns >= m are zero): D <- H D H with H = I - tau v vᵀ, as
 * w = tau D v, w -= (tau/2)(wᵀv) v, D -= v wᵀ + w vᵀ. `dp` points at D(0, 0); the diagonal of
 * column i is at dp + i * colStep bytes (column i holds rows i .. of D contiguously).
 */
function twoSided(dp: usize, colStep: usize, m: i32, bb: i32, v: usize, w: usize, tau: f64): void {
  zeros(w, bb + 2);
  // w = D v from the lower triangle, columns i, i+1 at a time: their 2 x 2 triangle in scalars,
  // then rows i+2 .. B-1 in vectors, adding v_k D(r, k) to w_r and D(r, k) v_r to w_k.
  let i = 0;
  let p = dp;
  for (; i + 2 <= m; i += 2, p += colStep << 1) {
    const p1 = p + colStep;
    const oi = (<usize>i) << 3;
    const v0 = load<f64>(v + oi), v1 = load<f64>(v + oi, 8);
    const a00 = load<f64>(p), a10 = load<f64>(p, 8), a11 = load<f64>(p1);
    const q0 = p + 16, q1 = p1 + 8;           // row i+2 of columns i and i+1
    const vr0 = v + oi + 16, wr0 = w + oi + 16;
    const b0 = f64x2.splat(v0), b1 = f64x2.splat(v1);
    let s0 = f64x2.splat(0.0), s1 = s0;
    const rows = bb - i - 2;
    for (let r = 0; r < rows; r += 2) {
      const o = (<usize>r) << 3;
      const vr = v128.load(vr0 + o);
      const x0 = v128.load(q0 + o), x1 = v128.load(q1 + o);
      s0 = madd(x0, vr, s0);
      s1 = madd(x1, vr, s1);
      v128.store(wr0 + o, madd(x1, b1, madd(x0, b0, v128.load(wr0 + o))));
    }
    store<f64>(w + oi, load<f64>(w + oi) + a00 * v0 + a10 * v1 + hsum(s0));
    store<f64>(w + oi, load<f64>(w + oi, 8) + a10 * v0 + a11 * v1 + hsum(s1), 8);
  }
  // last column of a clipped block with m odd: the diagonal term enters twice and is taken out
  // once; the segment rounded up to even length reaches row B (v_B = 0, w_B dropped)
  if (i < m) {
    const len = (bb - i + 1) & ~1;
    const vi = ld8(v, i);
    const vb = f64x2.splat(vi);
    const vo = v + ((<usize>i) << 3), wo = w + ((<usize>i) << 3);
    let s0 = f64x2.splat(0.0);
    for (let r = 0; r < len; r += 2) {
      const o = (<usize>r) << 3;
      const x = v128.load(p + o);
      s0 = madd(x, v128.load(vo + o), s0);
      v128.store(wo + o, madd(x, vb, v128.load(wo + o)));
    }
    st8(w, i, ld8(w, i) + hsum(s0) - vi * load<f64>(p));
    st8(w, bb, 0.0);
  }

  // w = tau w - (tau^2 / 2)(wᵀv) v
  const alpha = -0.5 * tau * tau * dot(w, v, bb);
  const vt = f64x2.splat(tau), va = f64x2.splat(alpha);
  for (let r = 0; r < bb; r += 2) {
    const o = (<usize>r) << 3;
    v128.store(w + o, madd(va, v128.load(v + o), f64x2.mul(vt, v128.load(w + o))));
  }

  // D -= v wᵀ + w vᵀ, same column pairs
  p = dp;
  for (i = 0; i + 2 <= m; i += 2, p += colStep << 1) {
    const p1 = p + colStep;
    const oi = (<usize>i) << 3;
    const v0 = load<f64>(v + oi), v1 = load<f64>(v + oi, 8);
    const w0 = load<f64>(w + oi), w1 = load<f64>(w + oi, 8);
    store<f64>(p, load<f64>(p) - 2.0 * v0 * w0);
    store<f64>(p, load<f64>(p, 8) - (v1 * w0 + w1 * v0), 8);
    store<f64>(p1, load<f64>(p1) - 2.0 * v1 * w1);
    const q0 = p + 16, q1 = p1 + 8;
    const vr0 = v + oi + 16, wr0 = w + oi + 16;
    const nv0 = f64x2.splat(-v0), nv1 = f64x2.splat(-v1), nw0 = f64x2.splat(-w0), nw1 = f64x2.splat(-w1);
    const rows = bb - i - 2;
    for (let r = 0; r < rows; r += 2) {
      const o = (<usize>r) << 3;
      const vr = v128.load(vr0 + o), wr = v128.load(wr0 + o);
      v128.store(q0 + o, madd(wr, nv0, madd(vr, nw0, v128.load(q0 + o))));
      v128.store(q1 + o, madd(wr, nv1, madd(vr, nw1, v128.load(q1 + o))));
    }
  }
  if (i < m) {
    const o = (<usize>i) << 3;
    axpy2(-ld8(w, i), v + o, -ld8(v, i), w + o, p, (bb - i + 1) & ~1);
  }
}

/** x = B v for the B x B block whose column i starts at bp + i * bStep bytes (B % 4 == 0):
 *  4-row slices of x, accumulated over the columns in two chains (even and odd columns). */
function blockTimesVector(bp: usize, bStep: usize, bb: i32, v: usize, x: usize): void {
  for (let r = 0; r < bb; r += 4) {
    let a0 = f64x2.splat(0.0), a1 = a0, a2 = a0, a3 = a0;
    let q = bp + ((<usize>r) << 3);
    for (let i = 0; i < bb; i += 2) {
      const vi = v + ((<usize>i) << 3);
      let c = v128.load64_splat(vi);
      a0 = madd(v128.load(q), c, a0);
      a1 = madd(v128.load(q, 16), c, a1);
      q += bStep;
      c = v128.load64_splat(vi, 8);
      a2 = madd(v128.load(q), c, a2);
      a3 = madd(v128.load(q, 16), c, a3);
      q += bStep;
    }
    const o = (<usize>r) << 3;
    v128.store(x + o, f64x2.add(a0, a2));
    v128.store(x + o, f64x2.add(a1, a3), 16);
  }
}

/**
 * B <- (I - taun vn vnᵀ) B (I - tau v vᵀ) for the B x B block of blockTimesVector, given x = B v:
 * column i gets -(tau v_i) x - t_i vn with t_i = taun (vnᵀB(:, i) - tau v_i vnᵀx). Columns go in
 * pairs, software-pipelined: one pass over the rows updates pair k and forms the dot products
 * vnᵀB(:, .) of pair k+1 (the last pass dots x and vn instead, results unused).
 */
function updateBlock(bp: usize, bStep: usize, bb: i32, v: usize, tau: f64, x: usize, vn: usize, taun: f64): void {
  const xv = dot(vn, x, bb);
  let q0 = bp, q1 = bp + bStep;
  let d0 = dot(vn, q0, bb), d1 = dot(vn, q1, bb);
  for (let i = 0; i < bb; i += 2) {
    const last = i + 2 >= bb;
    const q2 = last ? x : q1 + bStep, q3 = last ? vn : q2 + bStep;
    const oi = (<usize>i) << 3;
    const c0 = tau * load<f64>(v + oi), c1 = tau * load<f64>(v + oi, 8);
    const x0 = f64x2.splat(-c0), x1 = f64x2.splat(-c1);
    const y0 = f64x2.splat(-taun * (d0 - c0 * xv)), y1 = f64x2.splat(-taun * (d1 - c1 * xv));
    let s2 = f64x2.splat(0.0), s3 = s2;
    for (let r = 0; r < bb; r += 2) {
      const o = (<usize>r) << 3;
      const xr = v128.load(x + o), nr = v128.load(vn + o);
      v128.store(q0 + o, madd(nr, y0, madd(xr, x0, v128.load(q0 + o))));
      v128.store(q1 + o, madd(nr, y1, madd(xr, x1, v128.load(q1 + o))));
      s2 = madd(v128.load(q2 + o), nr, s2);
      s3 = madd(v128.load(q3 + o), nr, s3);
    }
    d0 = hsum(s2); d1 = hsum(s3);
    q0 = q2; q1 = q3;
  }
}

/** Copies columns [c0, c1) of the lower band of `a` (rows c .. c + b, clipped at n) into the
 *  compact band, zeros elsewhere. */
function copyBand(a: usize, ld: i32, n: i32, b: i32, band: usize, colBytes: usize, c0: i32, c1: i32): void {
  const ldb = (<usize>ld) << 3;
  const bw = min(b, n - 1);
  zeros(band + <usize>c0 * colBytes, <i32>((<usize>(c1 - c0) * colBytes) >> 3));
  for (let c = c0; c < c1; c++) {
    const len = min(bw, n - 1 - c) + 1;
    memory.copy(band + <usize>c * colBytes, a + <usize>c * ldb + ((<usize>c) << 3), (<usize>len) << 3);
  }
}

/**
 * Sweep j: zeroes column j below the sub-diagonal and chases the bulge down to row n (see the
 * header). `vec` holds this thread's five vectors v, vn, x, w, u of B + 4 f64 each.
 * Multi-threaded (see bandToTridiagSpmd): before step k, waits until the previous sweep has
 * finished its steps 0 .. k+1 (its counter at `prev` reaches (j-1) M + k + 2; prev = 0: no wait),
 * and posts its own progress j M + (steps done) at `mine`, then j M + M - 1 when the sweep is
 * over (mine = 0: single thread, no posts).
 */
function sweep(j: i32, n: i32, bb: i32, band: usize, colBytes: usize, vec: usize, prev: usize, mine: usize, M: i32): void {
  const vecBytes = (<usize>(bb + 4)) << 3;
  let v = vec, vn = vec + vecBytes;
  const x = vec + 2 * vecBytes, w = vec + 3 * vecBytes, u = vec + 4 * vecBytes;
  const bStep = colBytes - 8;                 // column i of B_k starts 2B - 1 f64 after column i - 1
  let s = j + 1;
  let k = 0;
  if (prev) waitAtLeast(prev, (j - 1) * M + 2);
  // H_0 from A(s .. s + B - 1, j)
  let tau = reflector(band + <usize>j * colBytes + 8, bb, v);
  while (true) {
    const dp = band + <usize>s * colBytes;    // D(0, 0) = A(s, s)
    if (tau != 0.0) twoSided(dp, colBytes, min(bb, n - s), bb, v, w, tau);
    if (s + bb >= n) break;                   // nothing below this block
    // B = A(s + B .. s + 2B - 1, s .. s + B - 1), B x B (rows >= n are zero)
    const bp = dp + ((<usize>bb) << 3);
    // x = B v; H_{k+1} from u = B(:, 0) - tau x, the first column after the right update
    blockTimesVector(bp, bStep, bb, v, x);
    const t = f64x2.splat(-tau);
    for (let r = 0; r < bb; r += 2) {
      const o = (<usize>r) << 3;
      v128.store(u + o, madd(v128.load(x + o), t, v128.load(bp + o)));
    }
    const taun = reflector(u, bb, vn);
    if (tau != 0.0 || taun != 0.0) updateBlock(bp, bStep, bb, v, tau, x, vn, taun);
    // the first column is (beta, 0, ..., 0) exactly (u after reflector)
    for (let r = 0; r < bb; r += 2) v128.store(bp + ((<usize>r) << 3), v128.load(u + ((<usize>r) << 3)));
    const tmp = v; v = vn; vn = tmp;
    tau = taun;
    s += bb;
    k++;
    if (mine) post(mine, j * M + k);
    if (prev) waitAtLeast(prev, (j - 1) * M + k + 2);
  }
  if (mine) post(mine, j * M + M - 1);
}

/** d[i] = A(i, i), e[i] = A(i + 1, i) (e[n-1] = 0) from the compact band. */
function extract(n: i32, band: usize, colBytes: usize, d: usize, e: usize): void {
  for (let i = 0; i < n; i++) {
    const p = band + <usize>i * colBytes;
    st8(d, i, load<f64>(p));
    st8(e, i, i < n - 1 ? load<f64>(p, 8) : 0.0);
  }
}

/**
 * Reduces the symmetric band matrix in `a` (lower band of half-bandwidth b, column-major,
 * leading dimension ld) to tridiagonal form: diagonal d[0..n), sub-diagonal e[0..n-1), e[n-1] = 0.
 * `a` is only read; `work` needs 8 + 2 B n + 5 (B + 4) f64 (see the header).
 */
export function bandToTridiag(a: usize, n: i32, ld: i32, b: i32, d: usize, e: usize, work: usize): void {
  if (n <= 0) return;
  const bb = blockSize(n, b);
  const colBytes = (<usize>(2 * bb)) << 3;   // band column stride
  const band = (work + 63) & ~(<usize>63);
  const vec = band + <usize>n * colBytes;
  zeros(vec, 5 * (bb + 4));                   // the vectors' padding past B must be zero
  copyBand(a, ld, n, b, band, colBytes, 0, n);
  for (let j = 0; j < n - 2; j++) sweep(j, n, bb, band, colBytes, vec, 0, 0, 0);
  extract(n, band, colBytes, d, e);
}

// ---------------------------------------------------------------------------------------------
// Multi-threaded version: the sweeps are pipelined over the threads (thread t runs the sweeps
// j = t, t + T, ...). Sweep j's step k works on the band columns I_k = [s_k, s_k + B)
// (rows I_k and I_{k+1}; step 0 also column j), and sweep j+1's step k on [s_k + 1, s_k + B + 1),
// which meets sweep j's steps k and k+1 only; sweep j's later steps k+2, ... are at columns
// >= s_k + 2B. So sweep j+1 may run step k as soon as sweep j has finished steps 0 .. k+1 (or all
// of its steps), and both then touch disjoint memory; every element sees the same operations in
// the same order as in bandToTridiag, so the result is bitwise the same.
//
// Progress: thread t's counter (i32 at ctrl + 16 + 8t, "sleeping" flag at +4) holds j M + k for
// "sweep j has finished k steps", with M = n / B + 4 more than any sweep's step count, and
// j M + M - 1 once sweep j is over; it only grows, since a thread runs its sweeps in order.
// A waiting thread spins briefly, then raises its flag and sleeps in atomic.wait; a posting thread
// notifies only when the flag is up (both sequentially consistent: either the waiter sees the new
// value or the poster sees the flag). Each counter has one waiter: the next thread.
//
// Cost: every block changes cores between consecutive sweeps (its cache lines move with it), and
// a thread whose partner is descheduled sleeps. On the 2-core development machine, shared with
// other work, 2 threads ranged from 0.6x to 1.7x the speed of bandToTridiag at half-width 8-16,
// and were faster in every run at half-width 32, the width the pool uses (bench-band.ts, n = 4096:
// 0.22-0.32 s against 0.31-0.47 s), so the pool runs this version on all its threads.

const SPIN_LIMIT: i32 = 2000;

function waitAtLeast(ctr: usize, target: i32): void {
  let spins: i32 = 0;
  while (true) {
    const p = atomic.load<i32>(ctr);
    if (p >= target) return;
    if (++spins > SPIN_LIMIT) {
      atomic.store<i32>(ctr, 1, 4);
      const q = atomic.load<i32>(ctr);
      if (q < target) atomic.wait<i32>(ctr, q, -1);
      atomic.store<i32>(ctr, 0, 4);
      spins = 0;
    }
  }
}

function post(ctr: usize, value: i32): void {
  atomic.store<i32>(ctr, value);
  if (atomic.load<i32>(ctr, 4) != 0) atomic.notify(ctr, 1);
}

/**
 * bandToTridiag run by `nthreads` threads together (SPMD, all with the same arguments but tid).
 * `ctrl`: 16 + 8 nthreads bytes, its first 8 (the barrier of sync.ts) zero on entry.
 * `work`: 8 + 2 B n + 5 nthreads (B + 4) f64 (within ld (3b + 8) + 64 for nthreads <= 2).
 */
export function bandToTridiagSpmd(
  tid: i32, nthreads: i32, ctrl: usize,
  a: usize, n: i32, ld: i32, b: i32, d: usize, e: usize, work: usize,
): void {
  if (n <= 0) return;
  const bb = blockSize(n, b);
  const colBytes = (<usize>(2 * bb)) << 3;
  const band = (work + 63) & ~(<usize>63);
  const vecBytes5 = (<usize>(5 * (bb + 4))) << 3;
  const vec = band + <usize>n * colBytes + <usize>tid * vecBytes5;
  const counters = ctrl + 16;
  const mine = counters + ((<usize>tid) << 3);
  const M = n / bb + 4;
  zeros(vec, 5 * (bb + 4));
  atomic.store<i32>(mine, -1);
  atomic.store<i32>(mine, 0, 4);
  copyBand(a, ld, n, b, band, colBytes, evenSplit(0, n, tid, nthreads, 1), evenSplit(0, n, tid + 1, nthreads, 1));
  barrier(ctrl, nthreads);
  if (nthreads == 1) {
    for (let j = 0; j < n - 2; j++) sweep(j, n, bb, band, colBytes, vec, 0, 0, 0);
  } else {
    for (let j = tid; j < n - 2; j += nthreads) {
      const prev: usize = j == 0 ? 0 : counters + ((<usize>((j - 1) % nthreads)) << 3);
      sweep(j, n, bb, band, colBytes, vec, prev, mine, M);
    }
  }
  barrier(ctrl, nthreads);
  if (tid == 0) extract(n, band, colBytes, d, e);
  barrier(ctrl, nthreads);
}
