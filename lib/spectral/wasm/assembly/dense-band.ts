// Stage 1 of the two-stage reduction of a symmetric matrix: dense -> band of half-bandwidth b, with
// matrix-matrix products only (LAPACK's dsytrd_sy2sb, lower).
//
// Why: the one-stage reduction (tridiag.ts) reads the whole trailing matrix once PER COLUMN in its
// symmetric matrix-vector products (n³/6 doubles at n = 4096: memory-bound, ~2.7 s here). Reducing
// to a band first touches the trailing matrix once per PANEL of b columns, in products whose inner
// work per element loaded is 2b multiply-adds, so both halves of the 4/3·n³ flops run at the
// register-blocked kernel's speed. The band is then reduced to tridiagonal by bulge chasing
// (band-tridiag.ts), O(b·n²).
//
// Per panel (columns k..k+b-1, rows r0 = k+b .. n-1 below the band, nt = n - r0 rows):
//   1. P = A(r0:n, k:k+b) = Q·R by Householder reflectors (thread 0). R stays in the band; the
//      reflectors V (unit lower trapezoidal, nt x b) and T (b x b upper triangular) give
//      Q = H_0·H_1·…·H_{b-1} = I - V·T·Vᵀ (dlarft, forward, columnwise).
//   2. Two-sided update of the trailing matrix A22 = A(r0:n, r0:n) <- Qᵀ·A22·Q:
//        Y = A22·V                          (symmetric A22 in full storage: a plain product)
//        M = Tᵀ·(Vᵀ·Y)·T                    (b x b)
//        W = Y·T - ½·V·M
//        A22 -= V·Wᵀ + W·Vᵀ                 (rank-2b update of the lower triangle)
//      since Qᵀ A Q = A - X Vᵀ - V Xᵀ + V (Tᵀ Vᵀ X) Vᵀ with X = A V T, and V Wᵀ + W Vᵀ equals the
//      three correction terms (M is symmetric).
// Storage: A column-major, leading dimension ld (ld >= n + 4, multiple of 4, rows/columns >= n zero).
// Only the LOWER triangle is read and written, plus the upper halves of the 4x4 tiles on the
// diagonal (filled from the lower halves at the start, then updated whole). Y = A22·V is formed
// from the lower triangle alone, in blocks of column strips x T_ROWS rows, each block used twice while
// it is in cache: Y(its rows) += block·V (the row part, read in place) and Y(its columns) += blockᵀ·V
// (the column part, from a transposed copy). For every panel but the first, Y is formed DURING the
// previous panel's update (updateFusedY): each block of the trailing matrix is updated and, still in
// cache, multiplied into the next Y, so A22 is read from memory once per panel instead of three times
// (the update, then Y's row and column parts in separate passes). These passes are bound by reading
// A22 from memory, not by the flops: at n = 4096 on one thread, update + Y took 5.9 s with Y's row and
// column parts in separate passes, 4.8 s with them merged, 4.3 s fused with the update; the floor at
// this machine's SIMD peak is 3.9 s.
// Every thread owns whole column blocks (equal triangle area) and sums into its own copy of Y; the
// copies are then added row strip by row strip, in thread order. A thread that finishes early takes
// blocks from the end of another's share and only updates them; the owner still adds their Y, in
// order. So the result does not depend on timing, and a thread the host deschedules for a while (the
// next layer's download and decode share the two cores) no longer holds the other one at the barrier:
// at 4096² with a busy loop taking half a core, the reduction took 3.65-4.09 s against 4.01-4.39 s
// with fixed shares (alternating runs; level without the load). The update writes lower tiles only: no mirrored stores into the upper triangle (which scattered over a page per column and were the costliest part of the
// update). On return the lower band (0 <= r - c <= b) holds the band matrix, the lower triangle
// below it is zero, the upper triangle is scratch.
//
// Accuracy: every step is an orthogonal similarity computed by Householder reflectors and
// products accumulated in float64, so the band matrix is exactly similar to A + E with
// ||E|| = O(n·eps·||A||), like dsytrd (backward stable); the eigenvalue error bound is the same as
// the one-stage reduction's.
//
// Threads (SPMD, barriers in sync.ts): thread 0 factors the panel; the products (Y, W, the packs
// and the rank-2b update) are split by rows (W, the packs) or by equal triangle area (Y, the update).

import { barrier, triangleSplit, evenSplit } from './sync';
import { dot, axpy2, scal } from './vec';
import { micro4x4, micro4x4Strided } from './micro';
import { now, lap } from './clock';
import { madd } from './madd';

// Phase clocks of thread 0 (clock.ts slots): [0] panel factorization, [1] Y = A22·V,
// [2] small products and packing, [3] rank-2b update, [4] waiting at barriers.

const IBLOCK_STRIPS: i32 = 64;

@inline function at(base: usize, i: i32): usize { return base + ((<usize>i) << 3); }

/** Copies the lower half of each 4x4 tile on the diagonal onto its upper half (our share of the tiles). */
function fillDiagonalTiles(tid: i32, nthreads: i32, a: usize, n: i32, ldb: usize): void {
  const tiles = (n + 3) >> 2;
  const t0 = evenSplit(0, tiles, tid, nthreads, 1), t1 = evenSplit(0, tiles, tid + 1, nthreads, 1);
  for (let t = t0; t < t1; t++) {
    const base = t << 2;
    for (let c = 1; c < 4; c++) {
      for (let r = 0; r < c; r++) {
        store<f64>(at(a + <usize>(base + c) * ldb, base + r), load<f64>(at(a + <usize>(base + r) * ldb, base + c)));
      }
    }
  }
}

/**
 * Rows [r0, r1) (r0, r1 even) of the 4 columns at `col` (column-major, ldb bytes apart), transposed into `out`
 * laid out [i][4]: the packed operand of micro4x4 with the row index as its inner dimension.
 */
function transposeStrip(col: usize, ldb: usize, r0: i32, r1: i32, out: usize): void {
  const c1 = col + ldb, c2 = c1 + ldb, c3 = c2 + ldb;
  for (let i = r0; i < r1; i += 2) {
    const off = (<usize>i) << 3;
    const a0 = v128.load(col + off), a1 = v128.load(c1 + off), a2 = v128.load(c2 + off), a3 = v128.load(c3 + off);
    const dst = out + ((<usize>(i - r0)) << 5);
    v128.store(dst, v128.shuffle<u64>(a0, a1, 0, 2));
    v128.store(dst, v128.shuffle<u64>(a2, a3, 0, 2), 16);
    v128.store(dst, v128.shuffle<u64>(a0, a1, 1, 3), 32);
    v128.store(dst, v128.shuffle<u64>(a2, a3, 1, 3), 48);
  }
}

/**
 * out[c·nx + p] = Σ_i X(i, p)·Y(i, c) over rows [r0, r0 + rows) for p < nx (even) and c < ny (a
 * multiple of 4), X and Y column-major with leading dimension ldb bytes: a b x b block of XᵀY. Two
 * columns of X against four of Y per pass (8 accumulators, each loaded vector used 4 or 2 times),
 * instead of b² separate dot products.
 */
function columnDots(x: usize, y: usize, ldb: usize, nx: i32, ny: i32, r0: i32, rows: i32, out: usize): void {
  const off = (<usize>r0) << 3;
  const end = (<usize>(rows & ~1)) << 3;
  for (let p = 0; p < nx; p += 2) {
    const x0p = x + <usize>p * ldb + off;
    const x1p = x0p + ldb;
    for (let c = 0; c < ny; c += 4) {
      const y0p = y + <usize>c * ldb + off;
      const y1p = y0p + ldb, y2p = y1p + ldb, y3p = y2p + ldb;
      let s00 = f64x2.splat(0.0), s01 = f64x2.splat(0.0), s02 = f64x2.splat(0.0), s03 = f64x2.splat(0.0);
      let s10 = f64x2.splat(0.0), s11 = f64x2.splat(0.0), s12 = f64x2.splat(0.0), s13 = f64x2.splat(0.0);
      for (let o: usize = 0; o < end; o += 16) {
        const x0 = v128.load(x0p + o), x1 = v128.load(x1p + o);
        let v = v128.load(y0p + o);
        s00 = madd(x0, v, s00); s10 = madd(x1, v, s10);
        v = v128.load(y1p + o);
        s01 = madd(x0, v, s01); s11 = madd(x1, v, s11);
        v = v128.load(y2p + o);
        s02 = madd(x0, v, s02); s12 = madd(x1, v, s12);
        v = v128.load(y3p + o);
        s03 = madd(x0, v, s03); s13 = madd(x1, v, s13);
      }
      storePair(out, c * nx + p, s00, s10);
      storePair(out, (c + 1) * nx + p, s01, s11);
      storePair(out, (c + 2) * nx + p, s02, s12);
      storePair(out, (c + 3) * nx + p, s03, s13);
    }
  }
}

/** out[i], out[i + 1] = lane sums of s0, s1. */
@inline function storePair(out: usize, i: i32, s0: v128, s1: v128): void {
  const lo = v128.shuffle<u64>(s0, s1, 0, 2), hi = v128.shuffle<u64>(s0, s1, 1, 3);
  v128.store(at(out, i), f64x2.add(lo, hi));
}

/**
 * Householder QR of the panel A(r0:r0+nt, k:k+b) in place (thread 0): R on and above the panel's
 * diagonal, reflector tails below it, tau[p] for each. Reflector p exists for p < nr = min(b, nt-1);
 * a zero tail gives tau = 0 (H = I).
 */
function factorPanel(a: usize, ldb: usize, k: i32, r0: i32, nt: i32, b: i32, nr: i32, tau: usize): void {
  for (let p = 0; p < nr; p++) {
    const x = a + <usize>(k + p) * ldb + ((<usize>(r0 + p)) << 3);
    const len = nt - p;
    const alpha = load<f64>(x);
    const xn2 = dot(x + 8, x + 8, len - 1);
    let beta = alpha;
    let t: f64 = 0.0;
    if (xn2 > 0.0) {
      beta = Math.sqrt(alpha * alpha + xn2);
      if (alpha > 0.0) beta = -beta;
      t = (beta - alpha) / beta;
      scal(1.0 / (alpha - beta), x + 8, len - 1);
    }
    store<f64>(x, beta);
    store<f64>(at(tau, p), t);
    if (t == 0.0) continue;
    for (let c = p + 1; c < b; c++) {
      const y = a + <usize>(k + c) * ldb + ((<usize>(r0 + p)) << 3);
      const s = t * (load<f64>(y) + dot(x + 8, y + 8, len - 1));
      store<f64>(y, load<f64>(y) - s);
      axpy2(-s, x + 8, 0.0, x + 8, y + 8, len - 1);
    }
  }
}

/**
 * Copies the reflectors into V (column-major nt x b, unit diagonal, zeros above and in rows
 * [nt, ntp)), zeroes them in A (they lie below the band), and forms T (b x b, column-major):
 * T(p,p) = tau_p, T(0:p, p) = -tau_p · T(0:p, 0:p) · V(:, 0:p)ᵀ v_p, with VᵀV from columnDots into
 * `vtv` (b² f64).
 */
function formVT(
  a: usize, ldb: usize, k: i32, r0: i32, nt: i32, ntp: i32, b: i32, nr: i32,
  tau: usize, vc: usize, t: usize, vtv: usize,
): void {
  for (let p = 0; p < b; p++) {
    const v = vc + <usize>p * ldb;
    memory.fill(v, 0, (<usize>ntp) << 3);
    if (p >= nr) continue;
    const x = a + <usize>(k + p) * ldb + ((<usize>(r0 + p)) << 3);
    store<f64>(at(v, p), 1.0);
    memory.copy(at(v, p + 1), x + 8, (<usize>(nt - p - 1)) << 3);
    memory.fill(x + 8, 0, (<usize>(nt - p - 1)) << 3);
  }
  memory.fill(t, 0, (<usize>(b * b)) << 3);
  columnDots(vc, vc, ldb, b, b, 0, ntp, vtv);
  for (let p = 0; p < nr; p++) {
    const tp = load<f64>(at(tau, p));
    const tcol = t + ((<usize>(p * b)) << 3);
    store<f64>(at(tcol, p), tp);
    if (tp == 0.0 || p == 0) continue;
    const z = vtv + ((<usize>(p * b)) << 3); // z[q] = v_qᵀ v_p
    for (let r = 0; r < p; r++) {
      let s: f64 = 0.0;
      for (let q = r; q < p; q++) s += load<f64>(at(t + ((<usize>(q * b)) << 3), r)) * load<f64>(at(z, q));
      store<f64>(at(tcol, r), -tp * s);
    }
  }
}

/** Rows per block of Y's column part; `tb` holds T_ROWS x 4 f64 per thread (pool.ts: Y_TRANSPOSE_BYTES). */
const T_ROWS: i32 = 256;

/**
 * A22 -= X·Y'ᵀ on the lower tiles in column strips [jsLo, jsHi) and row strips [isLo, isHi) (is >= js; diagonal
 * tiles whole). X, Y' packed as 4-row strips of w2 columns.
 */
function updateTiles(xp: usize, yp: usize, stripBytes: usize, w2: i32, a22: usize, ldb: usize, jsLo: i32, jsHi: i32, isLo: i32, isHi: i32): void {
  const jEnd = min(jsHi, isHi);
  for (let js = jsLo; js < jEnd; js++) {
    const pj = yp + <usize>js * stripBytes;
    const colBase = a22 + <usize>(js * 4) * ldb;
    for (let is = max(js, isLo); is < isHi; is++) {
      const pi = xp + <usize>is * stripBytes;
      const c = colBase + ((<usize>is) << 5);
      micro4x4(pi, pj, w2, c, ldb, true);
    }
  }
}

/**
 * Y += A22·V over the column strips [j0, j1) of A22's lower triangle, in blocks of `jStrips` column strips x T_ROWS
 * rows. Each block is read from memory once and used twice while it is in cache: Y(block's columns) += block ᵀ·V(its
 * rows) (the column part, from a transposed copy of each strip's segment, strictly below the strip's diagonal tile)
 * and Y(block's rows) += block·V(its columns) (the row part, read in place, up to and including the diagonal tile,
 * whose upper half is filled). V is packed [cs][row][4] (`vpk`, ntp rows per column strip).
 */
function productY(a22: usize, ldb: usize, vpk: usize, ntp: i32, cstrips: i32, y: usize, j0: i32, j1: i32, jStrips: i32, tbuf: usize): void {
  for (let jb = j0; jb < j1; jb += jStrips) {
    const je = min(jb + jStrips, j1);
    for (let rb = jb << 2; rb < ntp; rb += T_ROWS) productYBlock(a22, ldb, vpk, ntp, cstrips, y, jb, je, rb, min(rb + T_ROWS, ntp), tbuf);
  }
}

/** productY's work on one block: column strips [jb, je), rows [rb, re) (rb >= 4·jb, a multiple of 4). */
function productYBlock(a22: usize, ldb: usize, vpk: usize, ntp: i32, cstrips: i32, y: usize, jb: i32, je: i32, rb: i32, re: i32, tbuf: usize): void {
  const c0 = jb << 2;
  for (let js = jb; js < je; js++) {
    const rs = max(rb, (js + 1) << 2);
    if (rs >= re) break;
    transposeStrip(a22 + <usize>(js * 4) * ldb, ldb, rs, re, tbuf);
    for (let cs = 0; cs < cstrips; cs++) {
      micro4x4(tbuf, vpk + ((<usize>(cs * ntp + rs) * 4) << 3), re - rs, y + <usize>(cs * 4) * ldb + ((<usize>js) << 5), ldb, false);
    }
  }
  const isEnd = re >> 2;
  for (let is = rb >> 2; is < isEnd; is++) {
    const kq = min(je << 2, (is + 1) << 2) - c0;
    const pi = a22 + <usize>c0 * ldb + ((<usize>is) << 5);
    for (let cs = 0; cs < cstrips; cs++) {
      micro4x4Strided(pi, ldb, vpk + ((<usize>(cs * ntp + c0) * 4) << 3), kq, y + <usize>(cs * 4) * ldb + ((<usize>is) << 5), ldb);
    }
  }
}

/** V (vc, column-major) packed [cs][j][4] into vpk (ntp rows per column strip), row strips [s0, s1). */
function packV(vc: usize, ldb: usize, vpk: usize, ntp: i32, cstrips: i32, s0: i32, s1: i32): void {
  for (let st = s0; st < s1; st++) {
    for (let cs = 0; cs < cstrips; cs++) {
      const dst = vpk + ((<usize>(cs * ntp + st * 4) * 4) << 3);
      for (let jj = 0; jj < 4; jj++) {
        for (let q = 0; q < 4; q++) {
          store<f64>(dst + ((<usize>(jj * 4 + q)) << 3), load<f64>(at(vc + <usize>(cs * 4 + q) * ldb, st * 4 + jj)));
        }
      }
    }
  }
}

/**
 * Thread 0's look-ahead (updating the next panel's column strips, factoring it, packing V) in tiles of A22' (each
 * updated and multiplied into Y'), per tile of the look-ahead's update: the head start the other threads get.
 * Measured at n = 4096 on 2 threads (reduction seconds, 3 runs each): 0 -> 2.72-2.92, 1 -> 2.69-2.80,
 * 2.5 -> 2.65-2.74 (thread 0 then waits 0.15 s at the barriers), 4 -> 2.72-2.85 (0.27 s).
 */
const HEAD_TILES: f64 = 2.0;

/** Byte offset in the control block (after the barrier words) of the flag that says the next panel's V is packed. */
const READY_OFFSET: usize = 8;

/** Blocks (jStrips column strips x T_ROWS rows) of the column strips [j0, j1) of a lower triangle of ntp rows. */
function blockCount(j0: i32, j1: i32, jStrips: i32, ntp: i32): i32 {
  let count = 0;
  for (let jb = j0; jb < j1; jb += jStrips) count += (ntp - (jb << 2) + T_ROWS - 1) / T_ROWS;
  return count;
}

/** Block `index` of [j0, j1) in column-block-major order: (first column strip) << 16 | row block. */
function blockAt(j0: i32, j1: i32, jStrips: i32, ntp: i32, index: i32): i32 {
  for (let jb = j0; jb < j1; jb += jStrips) {
    const count = (ntp - (jb << 2) + T_ROWS - 1) / T_ROWS;
    if (index < count) return (jb << 16) | index;
    index -= count;
  }
  return -1;
}

/**
 * A thread's share of the fused update and Y: the column strips [j0, j1) of A22' (as updateFusedY's arguments), and
 * where its work-sharing words are: at `words`, the claim word (next block to update from the front << 16 | end of
 * the blocks not taken from the back) and the count of its blocks other threads have updated.
 */
@unmanaged class Share {
  j0: i32 = 0;
  j1: i32 = 0;
  words: usize = 0;
}

/** Updates the tiles of block `index` of a share (A22 coordinates: A22' is offset by cstrips strips). */
function updateBlock(xp: usize, yp: usize, stripBytes: usize, w2: i32, a22: usize, ldb: usize, cstrips: i32, ntpn: i32, jStrips: i32, j0: i32, j1: i32, index: i32): void {
  const at = blockAt(j0, j1, jStrips, ntpn, index);
  const jb = at >> 16;
  const je = min(jb + jStrips, j1);
  const rb = (jb << 2) + (at & 0xffff) * T_ROWS;
  const re = min(rb + T_ROWS, ntpn);
  updateTiles(xp, yp, stripBytes, w2, a22, ldb, jb + cstrips, je + cstrips, (rb >> 2) + cstrips, (re >> 2) + cstrips);
}

/** Y' of the blocks [from, to) of a share, in order. */
function productYBlocks(a22n: usize, ldb: usize, vpk: usize, ntpn: i32, cstrips: i32, y: usize, j0: i32, j1: i32, jStrips: i32, tbuf: usize, from: i32, to: i32): void {
  for (let index = from; index < to; index++) {
    const at = blockAt(j0, j1, jStrips, ntpn, index);
    const jb = at >> 16;
    const rb = (jb << 2) + (at & 0xffff) * T_ROWS;
    productYBlock(a22n, ldb, vpk, ntpn, cstrips, y, jb, min(jb + jStrips, j1), rb, min(rb + T_ROWS, ntpn), tbuf);
  }
}

/**
 * The rank-2b update of A22 fused with the NEXT panel's Y = A22'·V', over this thread's share of A22' (A22 without
 * its first b rows and columns; thread 0 updates those itself before it factors the next panel). Blocks of jStrips
 * column strips x T_ROWS rows, in order: each block is updated and, while it is in cache, its contribution to Y' is
 * added (productYBlock) into this thread's copy of Y'.
 * V' exists only once thread 0 has factored the next panel and set the flag at ctrl + READY_OFFSET to `ready`: until
 * then the blocks are only updated, and their Y' is added as soon as the flag is seen. A thread that has finished its
 * share takes blocks from the END of the others' shares and only updates them (a thread slowed down by the host
 * does not hold the rest back); their owner adds their Y' once they are done. Every thread adds Y' for exactly its
 * own blocks, in their order, and a tile's update is the same whoever computes it, so the result never depends on
 * timing.
 */
function updateFusedY(
  tid: i32, nthreads: i32, ctrl: usize, ready: i32, xp: usize, yp: usize, stripBytes: usize, w2: i32, a22: usize, ldb: usize,
  cstrips: i32, a22n: usize, vpk: usize, ntpn: i32, y: usize, shares: usize, jStrips: i32, tbuf: usize,
): void {
  const mine = changetype<Share>(shares + <usize>tid * offsetof<Share>());
  const j0 = mine.j0, j1 = mine.j1;
  const total = blockCount(j0, j1, jStrips, ntpn);
  let flagged = tid == 0;
  let done = 0; // blocks whose Y' has been added
  let front = 0;
  while (true) {
    const word = atomic.load<i32>(mine.words);
    front = word >>> 16;
    if (front >= (word & 0xffff)) break;
    if (atomic.cmpxchg<i32>(mine.words, word, word + 0x10000) != word) continue;
    updateBlock(xp, yp, stripBytes, w2, a22, ldb, cstrips, ntpn, jStrips, j0, j1, front);
    if (!flagged) flagged = atomic.load<i32>(ctrl, READY_OFFSET) == ready;
    if (flagged) {
      productYBlocks(a22n, ldb, vpk, ntpn, cstrips, y, j0, j1, jStrips, tbuf, done, front + 1);
      done = front + 1;
    }
  }
  // blocks [front, total) were taken by other threads: wait for their updates, and for V', then add their Y'
  while (atomic.load<i32>(mine.words, 4) < total - front) atomic.wait<i32>(mine.words + 4, atomic.load<i32>(mine.words, 4), 100000);
  while (atomic.load<i32>(ctrl, READY_OFFSET) != ready) atomic.wait<i32>(ctrl + READY_OFFSET, atomic.load<i32>(ctrl, READY_OFFSET), 1000000);
  productYBlocks(a22n, ldb, vpk, ntpn, cstrips, y, j0, j1, jStrips, tbuf, done, total);
  // then help the others: their last blocks not yet started, update only
  for (let k = 1; k < nthreads; k++) {
    const other = changetype<Share>(shares + <usize>((tid + k) % nthreads) * offsetof<Share>());
    while (true) {
      const word = atomic.load<i32>(other.words);
      const end = word & 0xffff;
      if ((word >>> 16) >= end) break;
      if (atomic.cmpxchg<i32>(other.words, word, word - 1) != word) continue;
      updateBlock(xp, yp, stripBytes, w2, a22, ldb, cstrips, ntpn, jStrips, other.j0, other.j1, end - 1);
      atomic.add<i32>(other.words, 1, 4);
      atomic.notify(other.words + 4, -1);
    }
  }
}

/**
 * Start of thread t's column strips of a triangle of `strips` strips (column j holds strips - j tiles) when thread
 * 0 also has `head` tiles' worth of other work: every thread gets about the same total. Rounded to `align`.
 */
function splitWithHead(strips: i32, head: f64, t: i32, nthreads: i32, align: i32): i32 {
  if (t <= 0) return 0;
  if (t >= nthreads) return strips;
  const m = <f64>strips;
  const total = m * (m + 1.0) * 0.5;
  const target = Math.max(0.0, (total + head) * (<f64>t / <f64>nthreads) - head);
  const bq = m + 0.5;
  const u = bq - Math.sqrt(Math.max(0.0, bq * bq - 2.0 * target));
  let x = <i32>Math.round(u / <f64>align) * align;
  if (x < 0) x = 0;
  if (x > strips) x = strips;
  return x;
}

/**
 * Reduces the symmetric n x n matrix in `a` (full storage, see above) to lower band form of
 * half-bandwidth b (a multiple of 4). Work areas (f64): vc, vpk, w: ld·b each, y: ld·b per thread; xp, yp: ld·2b
 * each; small: (5 + nthreads)·b² + b + 3·nthreads; tb: T_ROWS·4 per thread. `kcs`: inner blocking of Y = A22·V.
 */
export function denseToBand(
  tid: i32, nthreads: i32, ctrl: usize,
  a: usize, n: i32, ld: i32, b: i32,
  vc: usize, vpk: usize, y: usize, w: usize, xp: usize, yp: usize, small: usize, kcs: i32, tb: usize,
): void {
  const ldb = (<usize>ld) << 3;
  const bbBytes = (<usize>(b * b)) << 3;
  const t = small, m = small + bbBytes, tp = small + 2 * bbBytes, mp = small + 3 * bbBytes;
  const vtv = small + 4 * bbBytes;
  const sPart = small + 5 * bbBytes; // nthreads blocks of b x b
  const tau = sPart + <usize>nthreads * bbBytes;
  const shares = tau + ((<usize>b) << 3); // nthreads Shares (12 bytes each), then their words (8 bytes each)
  const shareWords = shares + <usize>nthreads * 16;
  const cstrips = b >> 2;
  const prof = tid == 0;
  let clock = prof ? now() : 0.0;
  let factoredAhead = false;
  let yReady = false; // this panel's Y was formed during the previous panel's update
  fillDiagonalTiles(tid, nthreads, a, n, ldb);

  for (let k = 0; k + b + 2 <= n; k += b) {
    const r0 = k + b;
    const nt = n - r0;
    const ntp = (nt + 3) & ~3;
    const nr = min(b, nt - 1);
    const strips = ntp >> 2;
    const s0 = evenSplit(0, strips, tid, nthreads, 1), s1 = evenSplit(0, strips, tid + 1, nthreads, 1);
    const a22 = a + <usize>r0 * ldb + ((<usize>r0) << 3);

    const yBytes = (<usize>b) * ldb;
    const yMine = y + <usize>tid * yBytes;
    const jStrips = max(1, kcs >> 2);
    const tbuf = tb + <usize>tid * <usize>T_ROWS * 32;
    if (!yReady) {
      if (tid == 0 && !factoredAhead) {
        factorPanel(a, ldb, k, r0, nt, b, nr, tau);
        formVT(a, ldb, k, r0, nt, ntp, b, nr, tau, vc, t, vtv);
        clock = lap(ctrl, 0, clock);
      }
      barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);
      // V packed [cs][j][4] (the broadcast operand of Y = A22·V) over our strips, and our copy of Y zeroed.
      packV(vc, ldb, vpk, ntp, cstrips, s0, s1);
      for (let c = 0; c < b; c++) memory.fill(yMine + <usize>c * ldb, 0, (<usize>ntp) << 3);
      if (prof) clock = lap(ctrl, 2, clock);
      barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);
      // Y = A22·V (the first panel; later panels' Y is formed during the previous update, see updateFusedY).
      productY(a22, ldb, vpk, ntp, cstrips, yMine, triangleSplit(0, strips, strips, tid, nthreads, jStrips),
        triangleSplit(0, strips, strips, tid + 1, nthreads, jStrips), jStrips, tbuf);
      if (prof) clock = lap(ctrl, 1, clock);
    }
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);
    // every thread summed into its own copy of Y: add the others into rows [s0, s1) of the first
    if (nthreads > 1) {
      const rowOff = (<usize>(s0 * 4)) << 3;
      const rowBytes = (<usize>((s1 - s0) * 4)) << 3;
      for (let c = 0; c < b; c++) {
        const dst = y + <usize>c * ldb + rowOff;
        for (let th = 1; th < nthreads; th++) {
          const src = y + <usize>th * yBytes + <usize>c * ldb + rowOff;
          for (let o: usize = 0; o < rowBytes; o += 16) v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
        }
      }
    }
    if (prof) clock = lap(ctrl, 1, clock);

    // Our rows' share of S = Vᵀ·Y (b x b).
    const rowA = s0 * 4, rowN = (s1 - s0) * 4;
    const myS = sPart + <usize>tid * bbBytes;
    columnDots(vc, y, ldb, b, b, rowA, rowN, myS);
    if (prof) clock = lap(ctrl, 2, clock);
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);

    if (tid == 0) {
      // S = Σ partial S; U = S·T into mp (scratch); M = Tᵀ·U; pack T and -½M as [cs][p][4].
      for (let i = 0; i < b * b; i++) {
        let s: f64 = 0.0;
        for (let th = 0; th < nthreads; th++) s += load<f64>(at(sPart + <usize>th * bbBytes, i));
        store<f64>(at(m, i), s);
      }
      for (let c = 0; c < b; c++) {
        for (let p = 0; p < b; p++) {
          let s: f64 = 0.0;
          for (let q = 0; q <= c; q++) s += load<f64>(at(m, q * b + p)) * load<f64>(at(t, c * b + q));
          store<f64>(at(mp, c * b + p), s);
        }
      }
      for (let c = 0; c < b; c++) {
        for (let p = 0; p < b; p++) {
          let s: f64 = 0.0;
          for (let q = 0; q <= p; q++) s += load<f64>(at(t, p * b + q)) * load<f64>(at(mp, c * b + q));
          store<f64>(at(m, c * b + p), s);
        }
      }
      for (let cs = 0; cs < cstrips; cs++) {
        for (let p = 0; p < b; p++) {
          for (let q = 0; q < 4; q++) {
            const c = cs * 4 + q;
            store<f64>(at(tp, (cs * b + p) * 4 + q), load<f64>(at(t, c * b + p)));
            store<f64>(at(mp, (cs * b + p) * 4 + q), -0.5 * load<f64>(at(m, c * b + p)));
          }
        }
      }
    }
    if (prof) clock = lap(ctrl, 2, clock);
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);

    // W = Y·T - ½·V·M over our rows, then the packs X = [V W], Y' = [W V] (4-row strips [kk][4]).
    for (let c = 0; c < b; c++) memory.fill(at(w + <usize>c * ldb, rowA), 0, (<usize>rowN) << 3);
    for (let is = s0; is < s1; is++) {
      const off = (<usize>is) << 5;
      for (let cs = 0; cs < cstrips; cs++) {
        const wc = w + <usize>(cs * 4) * ldb + off;
        micro4x4Strided(y + off, ldb, tp + ((<usize>(cs * b * 4)) << 3), b, wc, ldb);
        micro4x4Strided(vc + off, ldb, mp + ((<usize>(cs * b * 4)) << 3), b, wc, ldb);
      }
    }
    const w2 = 2 * b;
    for (let st = s0; st < s1; st++) {
      const dx = xp + ((<usize>(st * 4 * w2)) << 3), dy = yp + ((<usize>(st * 4 * w2)) << 3);
      for (let p = 0; p < b; p++) {
        for (let q = 0; q < 4; q++) {
          const r = st * 4 + q;
          const vr = load<f64>(at(vc + <usize>p * ldb, r));
          const wr = load<f64>(at(w + <usize>p * ldb, r));
          const lo = p * 4 + q, hi = (b + p) * 4 + q;
          store<f64>(at(dx, lo), vr); store<f64>(at(dx, hi), wr);
          store<f64>(at(dy, lo), wr); store<f64>(at(dy, hi), vr);
        }
      }
    }
    const kn = k + b;
    factoredAhead = kn + b + 2 <= n;
    const ntpn = ntp - b, stripsn = strips - cstrips;
    if (factoredAhead) {
      // our share of the fused update (see updateFusedY), published before the barrier
      const mine = changetype<Share>(shares + <usize>tid * offsetof<Share>());
      const head = HEAD_TILES * <f64>(cstrips * stripsn);
      mine.j0 = splitWithHead(stripsn, head, tid, nthreads, jStrips);
      mine.j1 = splitWithHead(stripsn, head, tid + 1, nthreads, jStrips);
      mine.words = shareWords + (<usize>tid << 3);
      atomic.store<i32>(mine.words, blockCount(mine.j0, mine.j1, jStrips, ntpn));
      atomic.store<i32>(mine.words, 0, 4);
    }
    if (prof) clock = lap(ctrl, 2, clock);
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);

    // A22 -= X·Y'ᵀ on the lower 4x4 tiles (diagonal tiles whole).
    const stripBytes = (<usize>(w2 * 4)) << 3;
    yReady = factoredAhead;
    if (factoredAhead) {
      // Look-ahead: the next panel is A's columns r0..r0+b-1 below the band, i.e. the first `cstrips` column strips
      // of A22. Thread 0 updates those strips first, factors the next panel and packs its V while the other threads
      // update the rest of A22, which is the next panel's A22' (updateFusedY: each block of A22' is updated and, in
      // cache, added to the next Y = A22'·V'). Shares of A22' (thread 0's smaller by its look-ahead work), blocks
      // taken from their ends by threads that finish early, Y' always added by the share's owner in block order,
      // so the result does not depend on timing.
      const ntn = nt - b;
      const a22n = a22 + <usize>b * ldb + ((<usize>b) << 3);
      for (let c = 0; c < b; c++) memory.fill(yMine + <usize>c * ldb, 0, (<usize>ntpn) << 3);
      if (tid == 0) {
        updateTiles(xp, yp, stripBytes, w2, a22, ldb, 0, cstrips, 0, strips);
        if (prof) clock = lap(ctrl, 3, clock);
        const r0n = kn + b;
        const nrn = min(b, ntn - 1);
        factorPanel(a, ldb, kn, r0n, ntn, b, nrn, tau);
        formVT(a, ldb, kn, r0n, ntn, ntpn, b, nrn, tau, vc, t, vtv);
        packV(vc, ldb, vpk, ntpn, cstrips, 0, stripsn);
        atomic.store<i32>(ctrl, kn + 1, READY_OFFSET);
        atomic.notify(ctrl + READY_OFFSET, -1);
        if (prof) clock = lap(ctrl, 0, clock);
      }
      updateFusedY(tid, nthreads, ctrl, kn + 1, xp, yp, stripBytes, w2, a22, ldb, cstrips, a22n, vpk, ntpn, yMine, shares, jStrips, tbuf);
    } else {
      const js0 = triangleSplit(0, strips, strips, tid, nthreads, 1);
      const js1 = triangleSplit(0, strips, strips, tid + 1, nthreads, 1);
      for (let ib = js0; ib < strips; ib += IBLOCK_STRIPS) {
        updateTiles(xp, yp, stripBytes, w2, a22, ldb, js0, js1, ib, min(ib + IBLOCK_STRIPS, strips));
      }
    }
    if (prof) clock = lap(ctrl, 3, clock);
    barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);
  }
}
