// How the kernels split work among threads: the WebAssembly kernels' splits (sync.ts), operation for operation, so a
// native kernel's thread shares are the same as theirs (the reduction's per-thread sums of Y depend on them).
#ifndef ALPHABOARD_NATIVE_SPLITS_H
#define ALPHABOARD_NATIVE_SPLITS_H
#include <math.h>
#include <stdint.h>

/**
 * Start of thread t's share of the columns [lo, hi) of a lower triangle whose column j holds (end - j) entries, so
 * that every thread gets about the same number of entries; rounded to a multiple of `align` from lo.
 */
static inline int triangle_split(int lo, int hi, int end, int t, int nthreads, int align) {
  if (t <= 0) return lo;
  if (t >= nthreads) return hi;
  double m = (double)(end - lo), width = (double)(hi - lo);
  double total = width * m - width * (width - 1.0) * 0.5;
  double target = total * ((double)t / (double)nthreads);
  double b = m + 0.5;
  double u = b - sqrt(fmax(0.0, b * b - 2.0 * target));
  int x = lo + (int)round(u / (double)align) * align;
  if (x < lo) x = lo;
  if (x > hi) x = hi;
  return x;
}

/** Even split of [lo, hi) into `nthreads` pieces, rounded to `align` from lo. */
static inline int even_split(int lo, int hi, int t, int nthreads, int align) {
  if (t <= 0) return lo;
  if (t >= nthreads) return hi;
  int len = hi - lo;
  int x = lo + (((int)((int64_t)len * t / nthreads) + align - 1) / align) * align;
  return x > hi ? hi : x;
}

#endif
