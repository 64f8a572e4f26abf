// Half Gram matrix G = A Aᵀ (lower triangle) in native code: the same contract as the WebAssembly
// kernel `gramLower` (lib/spectral/wasm/assembly/gram.ts), on the same shared kernel memory, called
// by the same worker threads with the same arguments. It exists because WebAssembly SIMD is 128 bits
// wide: compiled here for the host CPU (-march=native), the multiply-adds run on its full vector
// width (AVX2: 4 doubles, AVX-512: 8), so the Gram, half of a layer's flops, runs 2-4x faster.
//
// Precision: as the WebAssembly kernel. Every element of A is converted to float64 when it is packed
// (exact for float32 and bfloat16), products of converted float32 values are exact in float64 and all
// sums are float64 (here with fused multiply-adds). Each entry of G is summed in a fixed order
// (chunk by chunk, within a chunk in index order), whatever the number of threads.
//
// Layout: A (W when rows <= cols, else Wᵀ) is packed per chunk of `kc` inner indices into strips of
// 8 rows laid out [kk][8]; the micro-kernel multiplies two strips (16 rows: two vectors of 8) by the
// 8 broadcast values of a third strip, 16 accumulators of 8 doubles. G is column-major with leading
// dimension ld; padding rows and columns come out zero. Tiles on the diagonal are written whole (the
// upper triangle is scratch for the reduction that follows).
//
// Threads: SPMD like the WebAssembly kernels; packing is split evenly by strips, G by column strips
// with equal triangle areas; the barrier uses the WebAssembly kernels' control block layout
// ([arrived, generation]) and spins, then yields, while a partner is late.
//
// Compiled with -ffp-contract=fast: the accumulations are the only products that reach G, and each
// becomes one fused multiply-add where the CPU has FMA (the thread splits may fuse too: they only
// choose which thread computes which columns, never a value).
#include "kernels.h"
#include "splits.h"
#include <sched.h>
#include <string.h>
#include <math.h>

typedef double v8d __attribute__((vector_size(64), aligned(8)));

enum { SRC_F32 = 0, SRC_F64 = 1, SRC_BF16 = 2 };
#define STRIP 8
#define IBLOCK_STRIPS 48

static void barrier(int32_t *ctrl, int nthreads) {
  if (nthreads <= 1) return;
  int32_t generation = __atomic_load_n(ctrl + 1, __ATOMIC_SEQ_CST);
  if (__atomic_fetch_add(ctrl, 1, __ATOMIC_SEQ_CST) == nthreads - 1) {
    __atomic_store_n(ctrl, 0, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(ctrl + 1, 1, __ATOMIC_SEQ_CST);
    return;
  }
  int spins = 0;
  while (__atomic_load_n(ctrl + 1, __ATOMIC_SEQ_CST) == generation) {
    native_check_abort(ctrl);
    if (++spins > 4000) sched_yield();
#if defined(__x86_64__) || defined(__i386__)
    else __builtin_ia32_pause();
#endif
  }
}

static inline double load_elem(const uint8_t *src, int type, size_t idx) {
  if (type == SRC_F64) return ((const double *)src)[idx];
  if (type == SRC_BF16) {
    uint32_t bits = (uint32_t)((const uint16_t *)src)[idx] << 16;
    float f;
    memcpy(&f, &bits, 4);
    return (double)f;
  }
  return (double)((const float *)src)[idx];
}

// Packs strips [s0, s1) of A, slab-local inner range [kk0, kk0 + kc), into pack (strip s at s*8*kc).
// The slab is W[:, slab] (rows x sw, row-major) when A = W, W[slab, :] (sw x cols) when A = Wᵀ.
static void pack_strips(const uint8_t *src, int type, int trans, int cols, int sw, int n,
                        int kk0, int kc, int s0, int s1, double *pack) {
  for (int s = s0; s < s1; s++) {
    double *dst = pack + (size_t)s * STRIP * kc;
    for (int q = 0; q < STRIP; q++) {
      int i = s * STRIP + q;
      if (i >= n) {
        for (int kk = 0; kk < kc; kk++) dst[kk * STRIP + q] = 0.0;
      } else if (!trans) {
        size_t base = (size_t)i * sw + kk0;
        if (type == SRC_BF16) {
          const uint16_t *p = (const uint16_t *)src + base;
          for (int kk = 0; kk < kc; kk++) {
            uint32_t bits = (uint32_t)p[kk] << 16;
            float f;
            memcpy(&f, &bits, 4);
            dst[kk * STRIP + q] = (double)f;
          }
        } else if (type == SRC_F32) {
          const float *p = (const float *)src + base;
          for (int kk = 0; kk < kc; kk++) dst[kk * STRIP + q] = (double)p[kk];
        } else {
          const double *p = (const double *)src + base;
          for (int kk = 0; kk < kc; kk++) dst[kk * STRIP + q] = p[kk];
        }
      } else {
        for (int kk = 0; kk < kc; kk++) dst[kk * STRIP + q] = load_elem(src, type, (size_t)(kk0 + kk) * cols + i);
      }
    }
  }
}

// C(16 x 8 at c, column-major, ldc) += A(strips a0, a1) · B(strip b)ᵀ over kc inner indices.
static void micro16x8(const double *a0, const double *a1, const double *b, int kc, double *c, size_t ldc) {
  v8d x0 = {0}, x1 = {0}, x2 = {0}, x3 = {0}, x4 = {0}, x5 = {0}, x6 = {0}, x7 = {0};
  v8d y0 = {0}, y1 = {0}, y2 = {0}, y3 = {0}, y4 = {0}, y5 = {0}, y6 = {0}, y7 = {0};
  for (int kk = 0; kk < kc; kk++) {
    v8d p = *(const v8d *)(a0 + kk * STRIP), q = *(const v8d *)(a1 + kk * STRIP);
    const double *bb = b + kk * STRIP;
    x0 += p * bb[0]; y0 += q * bb[0];
    x1 += p * bb[1]; y1 += q * bb[1];
    x2 += p * bb[2]; y2 += q * bb[2];
    x3 += p * bb[3]; y3 += q * bb[3];
    x4 += p * bb[4]; y4 += q * bb[4];
    x5 += p * bb[5]; y5 += q * bb[5];
    x6 += p * bb[6]; y6 += q * bb[6];
    x7 += p * bb[7]; y7 += q * bb[7];
  }
  v8d xs[8] = {x0, x1, x2, x3, x4, x5, x6, x7}, ys[8] = {y0, y1, y2, y3, y4, y5, y6, y7};
  for (int j = 0; j < 8; j++) {
    v8d *col = (v8d *)(c + (size_t)j * ldc);
    col[0] += xs[j];
    col[1] += ys[j];
  }
}

// C(8 x 8) += A(strip a) · B(strip b)ᵀ: the last row strip when a column's row tiles are odd in number.
static void micro8x8(const double *a, const double *b, int kc, double *c, size_t ldc) {
  v8d x0 = {0}, x1 = {0}, x2 = {0}, x3 = {0}, x4 = {0}, x5 = {0}, x6 = {0}, x7 = {0};
  for (int kk = 0; kk < kc; kk++) {
    v8d p = *(const v8d *)(a + kk * STRIP);
    const double *bb = b + kk * STRIP;
    x0 += p * bb[0]; x1 += p * bb[1]; x2 += p * bb[2]; x3 += p * bb[3];
    x4 += p * bb[4]; x5 += p * bb[5]; x6 += p * bb[6]; x7 += p * bb[7];
  }
  v8d xs[8] = {x0, x1, x2, x3, x4, x5, x6, x7};
  for (int j = 0; j < 8; j++) *(v8d *)(c + (size_t)j * ldc) += xs[j];
}

// Thread tid of nthreads adds its share of the slab [kBegin, kEnd) to G (see gram.ts's gramLower;
// addresses are byte offsets into the kernel memory at `mem`).
void native_gram_lower(uint8_t *mem, int tid, int nthreads, uint32_t ctrl, uint32_t src, int type,
                       int rows, int cols, uint32_t g, int ld, uint32_t pack0, uint32_t pack1, int kc,
                       int kBegin, int kEnd) {
  int trans = rows > cols;
  int n = trans ? cols : rows;
  int k = kEnd - kBegin;
  int strips = (n + STRIP - 1) / STRIP;
  double *G = (double *)(mem + g);
  int32_t *sync = (int32_t *)(mem + ctrl);

  if (kBegin == 0) {
    int z0 = even_split(0, ld, tid, nthreads, 4), z1 = even_split(0, ld, tid + 1, nthreads, 4);
    memset(G + (size_t)z0 * ld, 0, (size_t)(z1 - z0) * ld * sizeof(double));
  }
  int ps0 = even_split(0, strips, tid, nthreads, 1), ps1 = even_split(0, strips, tid + 1, nthreads, 1);
  int js0 = triangle_split(0, strips, strips, tid, nthreads, 1);
  int js1 = triangle_split(0, strips, strips, tid + 1, nthreads, 1);

  int chunk = 0;
  for (int kk0 = 0; kk0 < k; kk0 += kc) {
    int kcq = k - kk0 < kc ? k - kk0 : kc;
    double *pack = (double *)(mem + ((chunk & 1) ? pack1 : pack0));
    pack_strips(mem + src, type, trans, cols, k, n, kk0, kcq, ps0, ps1, pack);
    barrier(sync, nthreads);
    size_t strip = (size_t)kcq * STRIP;
    for (int ib = js0; ib < strips; ib += IBLOCK_STRIPS) {
      int ie = ib + IBLOCK_STRIPS < strips ? ib + IBLOCK_STRIPS : strips;
      int jEnd = js1 < ie ? js1 : ie;
      for (int js = js0; js < jEnd; js++) {
        const double *pj = pack + js * strip;
        double *col = G + (size_t)js * STRIP * ld;
        int is = js > ib ? js : ib;
        for (; is + 1 < ie; is += 2)
          micro16x8(pack + is * strip, pack + (is + 1) * strip, pj, kcq, col + (size_t)is * STRIP, ld);
        if (is < ie) micro8x8(pack + is * strip, pj, kcq, col + (size_t)is * STRIP, ld);
      }
    }
    chunk++;
  }
  barrier(sync, nthreads);
}

int native_gram_fused(void) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return 1;
#else
  return 0;
#endif
}
