// Dense -> band reduction (stage 1 of the two-stage tridiagonal reduction) in native code: a port of
// lib/spectral/wasm/assembly/dense-band.ts (read that file for the algorithm, the storage and the
// threading), with the same contract, on the same kernel memory, called by the same worker threads.
//
// Same numbers: every floating-point operation of the WebAssembly fma build is done here in the same
// order with the same rounding (its f64x2.relaxed_madd is a fused multiply-add, so is _mm_fmadd_pd /
// _mm256_fmadd_pd; this file is compiled with -ffp-contract=off so the compiler fuses nothing else).
// Only the register blocking differs: the products run as groups of 4x4 tiles on 256-bit vectors
// (4 tiles per pass, 16 accumulators) where the WebAssembly build has one 4x4 tile on 128-bit
// vectors; each entry is still summed from zero along the inner index, then added to its target.
// So the band matrix is bitwise the fma build's (tested).
//
// Needs AVX2 and FMA (x86-64 Linux: it waits on futexes); elsewhere this file compiles to nothing and
// the WebAssembly reduction runs.
#include "kernels.h"
#include "splits.h"

#if defined(__linux__) && defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef uint8_t *ptr;

#define F64(p) (*(double *)(p))
static inline ptr at(ptr base, int i) { return base + ((size_t)i << 3); }
static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

// ---- synchronisation (the WebAssembly kernels' control block layout, futexes instead of atomic.wait) ----

static void futex_wait(int32_t *addr, int32_t expected, long timeout_ns) {
  struct timespec ts = { timeout_ns / 1000000000L, timeout_ns % 1000000000L };
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, timeout_ns >= 0 ? &ts : NULL, NULL, 0);
}

static void futex_wake_all(int32_t *addr) {
  syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static inline int32_t aload(ptr p) { return __atomic_load_n((int32_t *)p, __ATOMIC_SEQ_CST); }
static inline void astore(ptr p, int32_t v) { __atomic_store_n((int32_t *)p, v, __ATOMIC_SEQ_CST); }

static void native_barrier(uint8_t *ctrl, int nthreads) {
  if (nthreads <= 1) return;
  int32_t generation = aload(ctrl + 4);
  if (__atomic_fetch_add((int32_t *)ctrl, 1, __ATOMIC_SEQ_CST) == nthreads - 1) {
    astore(ctrl, 0);
    __atomic_fetch_add((int32_t *)(ctrl + 4), 1, __ATOMIC_SEQ_CST);
    futex_wake_all((int32_t *)(ctrl + 4));
    return;
  }
  int spins = 0;
  while (aload(ctrl + 4) == generation) {
    native_check_abort(ctrl);
    if (++spins > 4000) futex_wait((int32_t *)(ctrl + 4), generation, 10000000);
    else _mm_pause();
  }
}

// ---- phase clocks (clock.ts: slot s at ctrl + 16 + 8s, milliseconds) ----

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static inline double lap(ptr ctrl, int slot, double since) {
  double t = now_ms();
  ptr p = ctrl + 16 + ((size_t)slot << 3);
  F64(p) = F64(p) + (t - since);
  return t;
}

// ---- vector helpers (vec.ts, fma build) ----

static inline __m128d ld2(ptr p) { return _mm_loadu_pd((const double *)p); }
static inline void st2(ptr p, __m128d v) { _mm_storeu_pd((double *)p, v); }
static inline __m256d ld4(ptr p) { return _mm256_loadu_pd((const double *)p); }
static inline void st4(ptr p, __m256d v) { _mm256_storeu_pd((double *)p, v); }

static double dot(ptr x, ptr y, int len) {
  __m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd();
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    size_t o = (size_t)i << 3;
    s0 = _mm_fmadd_pd(ld2(x + o), ld2(y + o), s0);
    s1 = _mm_fmadd_pd(ld2(x + o + 16), ld2(y + o + 16), s1);
  }
  s0 = _mm_add_pd(s0, s1);
  double lanes[2];
  _mm_storeu_pd(lanes, s0);
  double s = lanes[0] + lanes[1];
  for (; i < len; i++) s += F64(x + ((size_t)i << 3)) * F64(y + ((size_t)i << 3));
  return s;
}

static void axpy2(double a1, ptr x1, double a2, ptr x2, ptr y, int len) {
  __m128d va = _mm_set1_pd(a1), vb = _mm_set1_pd(a2);
  int i = 0;
  for (; i + 2 <= len; i += 2) {
    size_t o = (size_t)i << 3;
    st2(y + o, _mm_fmadd_pd(vb, ld2(x2 + o), _mm_fmadd_pd(va, ld2(x1 + o), ld2(y + o))));
  }
  for (; i < len; i++) {
    size_t o = (size_t)i << 3;
    F64(y + o) = F64(y + o) + a1 * F64(x1 + o) + a2 * F64(x2 + o);
  }
}

static void scal(double a, ptr x, int len) {
  for (int i = 0; i < len; i++) F64(x + ((size_t)i << 3)) = a * F64(x + ((size_t)i << 3));
}

// ---- 4x4 tile products (micro.ts), grouped ----
//
// A tile: C[0:4, 0:4] ±= P_I · P_Jᵀ over kc, P_I's 4 rows for inner index kk at pi + kk·strideI, P_J packed [kk][4]
// (broadcast), C column-major with ldb bytes between columns. Each entry: a sum from zero of fused multiply-adds in
// kk order, then added to (or subtracted from) C, as micro.ts does.

static inline void tile_update(ptr c, __m256d acc, int subtract) {
  st4(c, subtract ? _mm256_sub_pd(ld4(c), acc) : _mm256_add_pd(ld4(c), acc));
}

/** One tile. */
static void tile1(ptr pi, size_t strideI, ptr pj, int kc, ptr c, size_t ldb, int subtract) {
  __m256d c0 = _mm256_setzero_pd(), c1 = c0, c2 = c0, c3 = c0;
  for (int kk = 0; kk < kc; kk++) {
    __m256d a = ld4(pi + kk * strideI);
    const double *b = (const double *)(pj + ((size_t)kk << 5));
    c0 = _mm256_fmadd_pd(a, _mm256_set1_pd(b[0]), c0);
    c1 = _mm256_fmadd_pd(a, _mm256_set1_pd(b[1]), c1);
    c2 = _mm256_fmadd_pd(a, _mm256_set1_pd(b[2]), c2);
    c3 = _mm256_fmadd_pd(a, _mm256_set1_pd(b[3]), c3);
  }
  tile_update(c, c0, subtract);
  tile_update(c + ldb, c1, subtract);
  tile_update(c + 2 * ldb, c2, subtract);
  tile_update(c + 3 * ldb, c3, subtract);
}

/** Four tiles down a column strip: P_I strips at pi + r·piStep (r < 4), C tiles at c + 32r (16 contiguous rows). */
static void tile4rows(ptr pi, size_t piStep, size_t strideI, ptr pj, int kc, ptr c, size_t ldb, int subtract) {
  __m256d z = _mm256_setzero_pd();
  __m256d a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
  __m256d a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
  for (int kk = 0; kk < kc; kk++) {
    ptr p = pi + kk * strideI;
    __m256d r0 = ld4(p), r1 = ld4(p + piStep), r2 = ld4(p + 2 * piStep), r3 = ld4(p + 3 * piStep);
    const double *b = (const double *)(pj + ((size_t)kk << 5));
    __m256d b0 = _mm256_set1_pd(b[0]), b1 = _mm256_set1_pd(b[1]), b2 = _mm256_set1_pd(b[2]), b3 = _mm256_set1_pd(b[3]);
    a00 = _mm256_fmadd_pd(r0, b0, a00); a01 = _mm256_fmadd_pd(r0, b1, a01); a02 = _mm256_fmadd_pd(r0, b2, a02); a03 = _mm256_fmadd_pd(r0, b3, a03);
    a10 = _mm256_fmadd_pd(r1, b0, a10); a11 = _mm256_fmadd_pd(r1, b1, a11); a12 = _mm256_fmadd_pd(r1, b2, a12); a13 = _mm256_fmadd_pd(r1, b3, a13);
    a20 = _mm256_fmadd_pd(r2, b0, a20); a21 = _mm256_fmadd_pd(r2, b1, a21); a22 = _mm256_fmadd_pd(r2, b2, a22); a23 = _mm256_fmadd_pd(r2, b3, a23);
    a30 = _mm256_fmadd_pd(r3, b0, a30); a31 = _mm256_fmadd_pd(r3, b1, a31); a32 = _mm256_fmadd_pd(r3, b2, a32); a33 = _mm256_fmadd_pd(r3, b3, a33);
  }
  tile_update(c, a00, subtract); tile_update(c + ldb, a01, subtract); tile_update(c + 2 * ldb, a02, subtract); tile_update(c + 3 * ldb, a03, subtract);
  c += 32;
  tile_update(c, a10, subtract); tile_update(c + ldb, a11, subtract); tile_update(c + 2 * ldb, a12, subtract); tile_update(c + 3 * ldb, a13, subtract);
  c += 32;
  tile_update(c, a20, subtract); tile_update(c + ldb, a21, subtract); tile_update(c + 2 * ldb, a22, subtract); tile_update(c + 3 * ldb, a23, subtract);
  c += 32;
  tile_update(c, a30, subtract); tile_update(c + ldb, a31, subtract); tile_update(c + 2 * ldb, a32, subtract); tile_update(c + 3 * ldb, a33, subtract);
}

/** Four tiles along a row strip: P_J strips at pj + s·pjStep (s < 4), C tiles at c + s·cStep (C += only). */
static void tile4cols(ptr pi, size_t strideI, ptr pj, size_t pjStep, int kc, ptr c, size_t cStep, size_t ldb) {
  __m256d z = _mm256_setzero_pd();
  __m256d acc[16] = { z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z };
  for (int kk = 0; kk < kc; kk++) {
    __m256d a = ld4(pi + kk * strideI);
    for (int s = 0; s < 4; s++) {
      const double *b = (const double *)(pj + s * pjStep + ((size_t)kk << 5));
      acc[4 * s] = _mm256_fmadd_pd(a, _mm256_set1_pd(b[0]), acc[4 * s]);
      acc[4 * s + 1] = _mm256_fmadd_pd(a, _mm256_set1_pd(b[1]), acc[4 * s + 1]);
      acc[4 * s + 2] = _mm256_fmadd_pd(a, _mm256_set1_pd(b[2]), acc[4 * s + 2]);
      acc[4 * s + 3] = _mm256_fmadd_pd(a, _mm256_set1_pd(b[3]), acc[4 * s + 3]);
    }
  }
  for (int s = 0; s < 4; s++)
    for (int q = 0; q < 4; q++) tile_update(c + s * cStep + q * ldb, acc[4 * s + q], 0);
}

// ---- dense-band.ts, function by function ----

static void fill_diagonal_tiles(int tid, int nthreads, ptr a, int n, size_t ldb) {
  int tiles = (n + 3) >> 2;
  int t0 = even_split(0, tiles, tid, nthreads, 1), t1 = even_split(0, tiles, tid + 1, nthreads, 1);
  for (int t = t0; t < t1; t++) {
    int base = t << 2;
    for (int c = 1; c < 4; c++)
      for (int r = 0; r < c; r++) F64(at(a + (size_t)(base + c) * ldb, base + r)) = F64(at(a + (size_t)(base + r) * ldb, base + c));
  }
}

static void transpose_strip(ptr col, size_t ldb, int r0, int r1, ptr out) {
  ptr c1 = col + ldb, c2 = c1 + ldb, c3 = c2 + ldb;
  for (int i = r0; i < r1; i += 2) {
    size_t off = (size_t)i << 3;
    __m128d a0 = ld2(col + off), a1 = ld2(c1 + off), a2 = ld2(c2 + off), a3 = ld2(c3 + off);
    ptr dst = out + ((size_t)(i - r0) << 5);
    st2(dst, _mm_unpacklo_pd(a0, a1));
    st2(dst + 16, _mm_unpacklo_pd(a2, a3));
    st2(dst + 32, _mm_unpackhi_pd(a0, a1));
    st2(dst + 48, _mm_unpackhi_pd(a2, a3));
  }
}

static inline void store_pair(ptr out, int i, __m128d s0, __m128d s1) {
  __m128d lo = _mm_unpacklo_pd(s0, s1), hi = _mm_unpackhi_pd(s0, s1);
  st2(at(out, i), _mm_add_pd(lo, hi));
}

static void column_dots(ptr x, ptr y, size_t ldb, int nx, int ny, int r0, int rows, ptr out) {
  size_t off = (size_t)r0 << 3;
  size_t end = (size_t)(rows & ~1) << 3;
  for (int p = 0; p < nx; p += 2) {
    ptr x0p = x + (size_t)p * ldb + off, x1p = x0p + ldb;
    for (int c = 0; c < ny; c += 4) {
      ptr y0p = y + (size_t)c * ldb + off, y1p = y0p + ldb, y2p = y1p + ldb, y3p = y2p + ldb;
      __m128d s00 = _mm_setzero_pd(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (size_t o = 0; o < end; o += 16) {
        __m128d x0 = ld2(x0p + o), x1 = ld2(x1p + o);
        __m128d v = ld2(y0p + o);
        s00 = _mm_fmadd_pd(x0, v, s00); s10 = _mm_fmadd_pd(x1, v, s10);
        v = ld2(y1p + o);
        s01 = _mm_fmadd_pd(x0, v, s01); s11 = _mm_fmadd_pd(x1, v, s11);
        v = ld2(y2p + o);
        s02 = _mm_fmadd_pd(x0, v, s02); s12 = _mm_fmadd_pd(x1, v, s12);
        v = ld2(y3p + o);
        s03 = _mm_fmadd_pd(x0, v, s03); s13 = _mm_fmadd_pd(x1, v, s13);
      }
      store_pair(out, c * nx + p, s00, s10);
      store_pair(out, (c + 1) * nx + p, s01, s11);
      store_pair(out, (c + 2) * nx + p, s02, s12);
      store_pair(out, (c + 3) * nx + p, s03, s13);
    }
  }
}

static void factor_panel(ptr a, size_t ldb, int k, int r0, int nt, int b, int nr, ptr tau) {
  for (int p = 0; p < nr; p++) {
    ptr x = a + (size_t)(k + p) * ldb + ((size_t)(r0 + p) << 3);
    int len = nt - p;
    double alpha = F64(x);
    double xn2 = dot(x + 8, x + 8, len - 1);
    double beta = alpha;
    double t = 0.0;
    if (xn2 > 0.0) {
      beta = sqrt(alpha * alpha + xn2);
      if (alpha > 0.0) beta = -beta;
      t = (beta - alpha) / beta;
      scal(1.0 / (alpha - beta), x + 8, len - 1);
    }
    F64(x) = beta;
    F64(at(tau, p)) = t;
    if (t == 0.0) continue;
    for (int c = p + 1; c < b; c++) {
      ptr y = a + (size_t)(k + c) * ldb + ((size_t)(r0 + p) << 3);
      double s = t * (F64(y) + dot(x + 8, y + 8, len - 1));
      F64(y) = F64(y) - s;
      axpy2(-s, x + 8, 0.0, x + 8, y + 8, len - 1);
    }
  }
}

static void form_vt(ptr a, size_t ldb, int k, int r0, int nt, int ntp, int b, int nr, ptr tau, ptr vc, ptr t, ptr vtv) {
  for (int p = 0; p < b; p++) {
    ptr v = vc + (size_t)p * ldb;
    memset(v, 0, (size_t)ntp << 3);
    if (p >= nr) continue;
    ptr x = a + (size_t)(k + p) * ldb + ((size_t)(r0 + p) << 3);
    F64(at(v, p)) = 1.0;
    memcpy(at(v, p + 1), x + 8, (size_t)(nt - p - 1) << 3);
    memset(x + 8, 0, (size_t)(nt - p - 1) << 3);
  }
  memset(t, 0, (size_t)(b * b) << 3);
  column_dots(vc, vc, ldb, b, b, 0, ntp, vtv);
  for (int p = 0; p < nr; p++) {
    double tp = F64(at(tau, p));
    ptr tcol = t + ((size_t)(p * b) << 3);
    F64(at(tcol, p)) = tp;
    if (tp == 0.0 || p == 0) continue;
    ptr z = vtv + ((size_t)(p * b) << 3);
    for (int r = 0; r < p; r++) {
      double s = 0.0;
      for (int q = r; q < p; q++) s += F64(at(t + ((size_t)(q * b) << 3), r)) * F64(at(z, q));
      F64(at(tcol, r)) = -tp * s;
    }
  }
}

#define T_ROWS 256
#define IBLOCK_STRIPS 64
#define HEAD_TILES 2.0
#define READY_OFFSET 8

/** A22 -= X·Y'ᵀ on the lower tiles in column strips [jsLo, jsHi) and row strips [isLo, isHi) (is >= js). */
static void update_tiles(ptr xp, ptr yp, size_t stripBytes, int w2, ptr a22, size_t ldb, int jsLo, int jsHi, int isLo, int isHi) {
  int jEnd = imin(jsHi, isHi);
  for (int js = jsLo; js < jEnd; js++) {
    ptr pj = yp + (size_t)js * stripBytes;
    ptr colBase = a22 + (size_t)(js * 4) * ldb;
    int is = imax(js, isLo);
    for (; is + 4 <= isHi; is += 4) tile4rows(xp + (size_t)is * stripBytes, stripBytes, 32, pj, w2, colBase + ((size_t)is << 5), ldb, 1);
    for (; is < isHi; is++) tile1(xp + (size_t)is * stripBytes, 32, pj, w2, colBase + ((size_t)is << 5), ldb, 1);
  }
}

/** Y(row strip) += P_I·V for every column strip cs < cstrips: groups of four strips, then one by one. */
static void y_tiles(ptr pi, size_t strideI, ptr vpk0, size_t vpkStep, int kc, ptr y0, size_t ldb, int cstrips) {
  int cs = 0;
  for (; cs + 4 <= cstrips; cs += 4) tile4cols(pi, strideI, vpk0 + cs * vpkStep, vpkStep, kc, y0 + (size_t)(cs * 4) * ldb, 4 * ldb, ldb);
  for (; cs < cstrips; cs++) tile1(pi, strideI, vpk0 + cs * vpkStep, kc, y0 + (size_t)(cs * 4) * ldb, ldb, 0);
}

static void product_y_block(ptr a22, size_t ldb, ptr vpk, int ntp, int cstrips, ptr y, int jb, int je, int rb, int re, ptr tbuf) {
  int c0 = jb << 2;
  size_t vpkStep = (size_t)ntp * 32;
  for (int js = jb; js < je; js++) {
    int rs = imax(rb, (js + 1) << 2);
    if (rs >= re) break;
    transpose_strip(a22 + (size_t)(js * 4) * ldb, ldb, rs, re, tbuf);
    y_tiles(tbuf, 32, vpk + ((size_t)rs * 4 << 3), vpkStep, re - rs, y + ((size_t)js << 5), ldb, cstrips);
  }
  int isEnd = re >> 2;
  for (int is = rb >> 2; is < isEnd; is++) {
    int kq = imin(je << 2, (is + 1) << 2) - c0;
    ptr pi = a22 + (size_t)c0 * ldb + ((size_t)is << 5);
    y_tiles(pi, ldb, vpk + ((size_t)c0 * 4 << 3), vpkStep, kq, y + ((size_t)is << 5), ldb, cstrips);
  }
}

static void product_y(ptr a22, size_t ldb, ptr vpk, int ntp, int cstrips, ptr y, int j0, int j1, int jStrips, ptr tbuf) {
  for (int jb = j0; jb < j1; jb += jStrips) {
    int je = imin(jb + jStrips, j1);
    for (int rb = jb << 2; rb < ntp; rb += T_ROWS) product_y_block(a22, ldb, vpk, ntp, cstrips, y, jb, je, rb, imin(rb + T_ROWS, ntp), tbuf);
  }
}

static void pack_v(ptr vc, size_t ldb, ptr vpk, int ntp, int cstrips, int s0, int s1) {
  for (int st = s0; st < s1; st++)
    for (int cs = 0; cs < cstrips; cs++) {
      ptr dst = vpk + ((size_t)(cs * ntp + st * 4) * 4 << 3);
      for (int jj = 0; jj < 4; jj++)
        for (int q = 0; q < 4; q++) F64(dst + ((size_t)(jj * 4 + q) << 3)) = F64(at(vc + (size_t)(cs * 4 + q) * ldb, st * 4 + jj));
    }
}

static int block_count(int j0, int j1, int jStrips, int ntp) {
  int count = 0;
  for (int jb = j0; jb < j1; jb += jStrips) count += (ntp - (jb << 2) + T_ROWS - 1) / T_ROWS;
  return count;
}

static int block_at(int j0, int j1, int jStrips, int ntp, int index) {
  for (int jb = j0; jb < j1; jb += jStrips) {
    int count = (ntp - (jb << 2) + T_ROWS - 1) / T_ROWS;
    if (index < count) return (jb << 16) | index;
    index -= count;
  }
  return -1;
}

// A thread's share (dense-band.ts's Share: j0, j1, then the byte offset of its two work-sharing words in the memory).
typedef struct { int32_t j0, j1; uint32_t words; } Share;

static void update_block(ptr xp, ptr yp, size_t stripBytes, int w2, ptr a22, size_t ldb, int cstrips, int ntpn, int jStrips, int j0, int j1, int index) {
  int a = block_at(j0, j1, jStrips, ntpn, index);
  int jb = a >> 16;
  int je = imin(jb + jStrips, j1);
  int rb = (jb << 2) + (a & 0xffff) * T_ROWS;
  int re = imin(rb + T_ROWS, ntpn);
  update_tiles(xp, yp, stripBytes, w2, a22, ldb, jb + cstrips, je + cstrips, (rb >> 2) + cstrips, (re >> 2) + cstrips);
}

static void product_y_blocks(ptr a22n, size_t ldb, ptr vpk, int ntpn, int cstrips, ptr y, int j0, int j1, int jStrips, ptr tbuf, int from, int to) {
  for (int index = from; index < to; index++) {
    int a = block_at(j0, j1, jStrips, ntpn, index);
    int jb = a >> 16;
    int rb = (jb << 2) + (a & 0xffff) * T_ROWS;
    product_y_block(a22n, ldb, vpk, ntpn, cstrips, y, jb, imin(jb + jStrips, j1), rb, imin(rb + T_ROWS, ntpn), tbuf);
  }
}

static void update_fused_y(uint8_t *mem, int tid, int nthreads, ptr ctrl, int ready, ptr xp, ptr yp, size_t stripBytes, int w2, ptr a22, size_t ldb,
                           int cstrips, ptr a22n, ptr vpk, int ntpn, ptr y, Share *shares, int jStrips, ptr tbuf) {
  Share *mine = shares + tid;
  int j0 = mine->j0, j1 = mine->j1;
  ptr words = mem + mine->words;
  int total = block_count(j0, j1, jStrips, ntpn);
  int flagged = tid == 0;
  int done = 0, front = 0;
  for (;;) {
    int32_t word = aload(words);
    front = (int)((uint32_t)word >> 16);
    if (front >= (word & 0xffff)) break;
    int32_t expected = word;
    if (!__atomic_compare_exchange_n((int32_t *)words, &expected, word + 0x10000, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
    update_block(xp, yp, stripBytes, w2, a22, ldb, cstrips, ntpn, jStrips, j0, j1, front);
    if (!flagged) flagged = aload(ctrl + READY_OFFSET) == ready;
    if (flagged) {
      product_y_blocks(a22n, ldb, vpk, ntpn, cstrips, y, j0, j1, jStrips, tbuf, done, front + 1);
      done = front + 1;
    }
  }
  while (aload(words + 4) < total - front) {
    native_check_abort(ctrl);
    futex_wait((int32_t *)(words + 4), aload(words + 4), 100000);
  }
  while (aload(ctrl + READY_OFFSET) != ready) {
    native_check_abort(ctrl);
    futex_wait((int32_t *)(ctrl + READY_OFFSET), aload(ctrl + READY_OFFSET), 1000000);
  }
  product_y_blocks(a22n, ldb, vpk, ntpn, cstrips, y, j0, j1, jStrips, tbuf, done, total);
  for (int k = 1; k < nthreads; k++) {
    Share *other = shares + (tid + k) % nthreads;
    ptr ow = mem + other->words;
    for (;;) {
      int32_t word = aload(ow);
      int end = word & 0xffff;
      if ((int)((uint32_t)word >> 16) >= end) break;
      int32_t expected = word;
      if (!__atomic_compare_exchange_n((int32_t *)ow, &expected, word - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
      update_block(xp, yp, stripBytes, w2, a22, ldb, cstrips, ntpn, jStrips, other->j0, other->j1, end - 1);
      __atomic_fetch_add((int32_t *)(ow + 4), 1, __ATOMIC_SEQ_CST);
      futex_wake_all((int32_t *)(ow + 4));
    }
  }
}

static int split_with_head(int strips, double head, int t, int nthreads, int align) {
  if (t <= 0) return 0;
  if (t >= nthreads) return strips;
  double m = (double)strips;
  double total = m * (m + 1.0) * 0.5;
  double target = fmax(0.0, (total + head) * ((double)t / (double)nthreads) - head);
  double bq = m + 0.5;
  double u = bq - sqrt(fmax(0.0, bq * bq - 2.0 * target));
  int x = (int)round(u / (double)align) * align;
  if (x < 0) x = 0;
  if (x > strips) x = strips;
  return x;
}

int native_dense_to_band_available(void) { return 1; }

void native_dense_to_band(uint8_t *mem, int tid, int nthreads, uint32_t ctrlOff, uint32_t aOff, int n, int ld, int b,
                          uint32_t vcOff, uint32_t vpkOff, uint32_t yOff, uint32_t wOff, uint32_t xpOff, uint32_t ypOff,
                          uint32_t smallOff, int kcs, uint32_t tbOff) {
  ptr ctrl = mem + ctrlOff, a = mem + aOff, vc = mem + vcOff, vpk = mem + vpkOff, y = mem + yOff, w = mem + wOff;
  ptr xp = mem + xpOff, yp = mem + ypOff, small = mem + smallOff, tb = mem + tbOff;
  size_t ldb = (size_t)ld << 3;
  size_t bbBytes = (size_t)(b * b) << 3;
  ptr t = small, m = small + bbBytes, tp = small + 2 * bbBytes, mp = small + 3 * bbBytes;
  ptr vtv = small + 4 * bbBytes;
  ptr sPart = small + 5 * bbBytes;
  ptr tau = sPart + (size_t)nthreads * bbBytes;
  Share *shares = (Share *)(tau + ((size_t)b << 3));
  uint32_t shareWords = (uint32_t)((tau + ((size_t)b << 3) + (size_t)nthreads * 16) - mem);
  int cstrips = b >> 2;
  int prof = tid == 0;
  double clock = prof ? now_ms() : 0.0;
  int factoredAhead = 0, yReady = 0;
  fill_diagonal_tiles(tid, nthreads, a, n, ldb);

  for (int k = 0; k + b + 2 <= n; k += b) {
    int r0 = k + b;
    int nt = n - r0;
    int ntp = (nt + 3) & ~3;
    int nr = imin(b, nt - 1);
    int strips = ntp >> 2;
    int s0 = even_split(0, strips, tid, nthreads, 1), s1 = even_split(0, strips, tid + 1, nthreads, 1);
    ptr a22 = a + (size_t)r0 * ldb + ((size_t)r0 << 3);
    size_t yBytes = (size_t)b * ldb;
    ptr yMine = y + (size_t)tid * yBytes;
    int jStrips = imax(1, kcs >> 2);
    ptr tbuf = tb + (size_t)tid * T_ROWS * 32;
    if (!yReady) {
      if (tid == 0 && !factoredAhead) {
        factor_panel(a, ldb, k, r0, nt, b, nr, tau);
        form_vt(a, ldb, k, r0, nt, ntp, b, nr, tau, vc, t, vtv);
        clock = lap(ctrl, 0, clock);
      }
      native_barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);
      pack_v(vc, ldb, vpk, ntp, cstrips, s0, s1);
      for (int c = 0; c < b; c++) memset(yMine + (size_t)c * ldb, 0, (size_t)ntp << 3);
      if (prof) clock = lap(ctrl, 2, clock);
      native_barrier(ctrl, nthreads);
      if (prof) clock = lap(ctrl, 4, clock);
      product_y(a22, ldb, vpk, ntp, cstrips, yMine, triangle_split(0, strips, strips, tid, nthreads, jStrips),
                triangle_split(0, strips, strips, tid + 1, nthreads, jStrips), jStrips, tbuf);
      if (prof) clock = lap(ctrl, 1, clock);
    }
    native_barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);
    if (nthreads > 1) {
      size_t rowOff = (size_t)(s0 * 4) << 3;
      size_t rowBytes = (size_t)((s1 - s0) * 4) << 3;
      for (int c = 0; c < b; c++) {
        ptr dst = y + (size_t)c * ldb + rowOff;
        for (int th = 1; th < nthreads; th++) {
          ptr src = y + (size_t)th * yBytes + (size_t)c * ldb + rowOff;
          for (size_t o = 0; o < rowBytes; o += 16) st2(dst + o, _mm_add_pd(ld2(dst + o), ld2(src + o)));
        }
      }
    }
    if (prof) clock = lap(ctrl, 1, clock);

    int rowA = s0 * 4, rowN = (s1 - s0) * 4;
    ptr myS = sPart + (size_t)tid * bbBytes;
    column_dots(vc, y, ldb, b, b, rowA, rowN, myS);
    if (prof) clock = lap(ctrl, 2, clock);
    native_barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);

    if (tid == 0) {
      for (int i = 0; i < b * b; i++) {
        double s = 0.0;
        for (int th = 0; th < nthreads; th++) s += F64(at(sPart + (size_t)th * bbBytes, i));
        F64(at(m, i)) = s;
      }
      for (int c = 0; c < b; c++)
        for (int p = 0; p < b; p++) {
          double s = 0.0;
          for (int q = 0; q <= c; q++) s += F64(at(m, q * b + p)) * F64(at(t, c * b + q));
          F64(at(mp, c * b + p)) = s;
        }
      for (int c = 0; c < b; c++)
        for (int p = 0; p < b; p++) {
          double s = 0.0;
          for (int q = 0; q <= p; q++) s += F64(at(t, p * b + q)) * F64(at(mp, c * b + q));
          F64(at(m, c * b + p)) = s;
        }
      for (int cs = 0; cs < cstrips; cs++)
        for (int p = 0; p < b; p++)
          for (int q = 0; q < 4; q++) {
            int c = cs * 4 + q;
            F64(at(tp, (cs * b + p) * 4 + q)) = F64(at(t, c * b + p));
            F64(at(mp, (cs * b + p) * 4 + q)) = -0.5 * F64(at(m, c * b + p));
          }
    }
    if (prof) clock = lap(ctrl, 2, clock);
    native_barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);

    for (int c = 0; c < b; c++) memset(at(w + (size_t)c * ldb, rowA), 0, (size_t)rowN << 3);
    for (int is = s0; is < s1; is++) {
      size_t off = (size_t)is << 5;
      for (int cs = 0; cs < cstrips; cs++) {
        ptr wc = w + (size_t)(cs * 4) * ldb + off;
        tile1(y + off, ldb, tp + ((size_t)(cs * b * 4) << 3), b, wc, ldb, 0);
        tile1(vc + off, ldb, mp + ((size_t)(cs * b * 4) << 3), b, wc, ldb, 0);
      }
    }
    int w2 = 2 * b;
    for (int st = s0; st < s1; st++) {
      ptr dx = xp + ((size_t)(st * 4 * w2) << 3), dy = yp + ((size_t)(st * 4 * w2) << 3);
      for (int p = 0; p < b; p++)
        for (int q = 0; q < 4; q++) {
          int r = st * 4 + q;
          double vr = F64(at(vc + (size_t)p * ldb, r));
          double wr = F64(at(w + (size_t)p * ldb, r));
          int lo = p * 4 + q, hi = (b + p) * 4 + q;
          F64(at(dx, lo)) = vr; F64(at(dx, hi)) = wr;
          F64(at(dy, lo)) = wr; F64(at(dy, hi)) = vr;
        }
    }
    int kn = k + b;
    factoredAhead = kn + b + 2 <= n;
    int ntpn = ntp - b, stripsn = strips - cstrips;
    if (factoredAhead) {
      Share *mine = shares + tid;
      double head = HEAD_TILES * (double)(cstrips * stripsn);
      mine->j0 = split_with_head(stripsn, head, tid, nthreads, jStrips);
      mine->j1 = split_with_head(stripsn, head, tid + 1, nthreads, jStrips);
      mine->words = shareWords + ((uint32_t)tid << 3);
      astore(mem + mine->words, block_count(mine->j0, mine->j1, jStrips, ntpn));
      astore(mem + mine->words + 4, 0);
    }
    if (prof) clock = lap(ctrl, 2, clock);
    native_barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);

    size_t stripBytes = (size_t)(w2 * 4) << 3;
    yReady = factoredAhead;
    if (factoredAhead) {
      int ntn = nt - b;
      ptr a22n = a22 + (size_t)b * ldb + ((size_t)b << 3);
      for (int c = 0; c < b; c++) memset(yMine + (size_t)c * ldb, 0, (size_t)ntpn << 3);
      if (tid == 0) {
        update_tiles(xp, yp, stripBytes, w2, a22, ldb, 0, cstrips, 0, strips);
        if (prof) clock = lap(ctrl, 3, clock);
        int r0n = kn + b;
        int nrn = imin(b, ntn - 1);
        factor_panel(a, ldb, kn, r0n, ntn, b, nrn, tau);
        form_vt(a, ldb, kn, r0n, ntn, ntpn, b, nrn, tau, vc, t, vtv);
        pack_v(vc, ldb, vpk, ntpn, cstrips, 0, stripsn);
        astore(ctrl + READY_OFFSET, kn + 1);
        futex_wake_all((int32_t *)(ctrl + READY_OFFSET));
        if (prof) clock = lap(ctrl, 0, clock);
      }
      update_fused_y(mem, tid, nthreads, ctrl, kn + 1, xp, yp, stripBytes, w2, a22, ldb, cstrips, a22n, vpk, ntpn, yMine, shares, jStrips, tbuf);
    } else {
      int js0 = triangle_split(0, strips, strips, tid, nthreads, 1);
      int js1 = triangle_split(0, strips, strips, tid + 1, nthreads, 1);
      for (int ib = js0; ib < strips; ib += IBLOCK_STRIPS) update_tiles(xp, yp, stripBytes, w2, a22, ldb, js0, js1, ib, imin(ib + IBLOCK_STRIPS, strips));
    }
    if (prof) clock = lap(ctrl, 3, clock);
    native_barrier(ctrl, nthreads);
    if (prof) clock = lap(ctrl, 4, clock);
  }
}

#else

int native_dense_to_band_available(void) { return 0; }

void native_dense_to_band(uint8_t *mem, int tid, int nthreads, uint32_t ctrlOff, uint32_t aOff, int n, int ld, int b,
                          uint32_t vcOff, uint32_t vpkOff, uint32_t yOff, uint32_t wOff, uint32_t xpOff, uint32_t ypOff,
                          uint32_t smallOff, int kcs, uint32_t tbOff) {
  (void)mem; (void)tid; (void)nthreads; (void)ctrlOff; (void)aOff; (void)n; (void)ld; (void)b; (void)vcOff; (void)vpkOff;
  (void)yOff; (void)wOff; (void)xpOff; (void)ypOff; (void)smallOff; (void)kcs; (void)tbOff;
}

#endif
