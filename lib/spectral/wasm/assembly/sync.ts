// Thread coordination for kernels that run the same program on every worker (SPMD).
//
// A control block in shared memory holds [arrived: i32, generation: i32]. Every thread calls
// `barrier` with the same control block; the last to arrive resets the count and bumps the
// generation, the others spin briefly on the generation (a barrier costs ~1 µs when both cores
// are ours) and then sleep in `atomic.wait`, so a descheduled partner does not burn the other
// core. Atomic operations are sequentially consistent, so plain stores made before the barrier
// are visible to every thread after it.

const SPIN_LIMIT: i32 = 4000;

export function barrier(ctrl: usize, nthreads: i32): void {
  if (nthreads <= 1) return;
  const generation = atomic.load<i32>(ctrl, 4);
  if (atomic.add<i32>(ctrl, 1) == nthreads - 1) {
    atomic.store<i32>(ctrl, 0);
    atomic.add<i32>(ctrl, 1, 4);
    atomic.notify(ctrl + 4, -1);
    return;
  }
  let spins: i32 = 0;
  while (atomic.load<i32>(ctrl, 4) == generation) {
    if (++spins > SPIN_LIMIT) atomic.wait<i32>(ctrl + 4, generation, -1);
  }
}

/**
 * Start of thread `t`'s share of the columns [lo, hi) of a lower triangle whose column j holds
 * (end - j) entries, so that every thread gets about the same number of entries. The result is
 * rounded to a multiple of `align` from `lo`; shares may be empty for tiny ranges.
 */
export function triangleSplit(lo: i32, hi: i32, end: i32, t: i32, nthreads: i32, align: i32): i32 {
  if (t <= 0) return lo;
  if (t >= nthreads) return hi;
  // entries in columns [lo, lo + u): u*m - u*(u-1)/2 with m = end - lo; the total over [lo, hi)
  // is computed the same way with u = hi - lo.
  const m = <f64>(end - lo);
  const width = <f64>(hi - lo);
  const total = width * m - width * (width - 1.0) * 0.5;
  const target = total * (<f64>t / <f64>nthreads);
  // solve u*m - u^2/2 + u/2 = target  ->  u = (m + 1/2) - sqrt((m + 1/2)^2 - 2 target)
  const b = m + 0.5;
  let u = b - Math.sqrt(Math.max(0.0, b * b - 2.0 * target));
  let x = lo + <i32>Math.round(u / <f64>align) * align;
  if (x < lo) x = lo;
  if (x > hi) x = hi;
  return x;
}

/** Even split of [lo, hi) into `nthreads` pieces, rounded to `align` from lo. */
export function evenSplit(lo: i32, hi: i32, t: i32, nthreads: i32, align: i32): i32 {
  if (t <= 0) return lo;
  if (t >= nthreads) return hi;
  const len = hi - lo;
  let x = lo + ((<i32>(<i64>len * t / nthreads) + align - 1) / align) * align;
  if (x > hi) x = hi;
  return x;
}
