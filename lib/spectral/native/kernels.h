// The native kernels behind addon.c: each is a WebAssembly kernel's twin (same arguments: byte offsets into the
// kernel memory at `mem`; same threading: every worker thread calls it with its tid, and they meet at barriers in
// the control block at `ctrl`).
#ifndef ALPHABOARD_NATIVE_KERNELS_H
#define ALPHABOARD_NATIVE_KERNELS_H
#include <setjmp.h>
#include <stdint.h>

/**
 * Giving up when a partner thread is gone. A worker thread can be terminated at any time (a compute thread replaced,
 * a process stopping); a kernel thread then waiting at a barrier in native code for it would wait forever, and since
 * native code cannot be interrupted, its own termination (and the process's exit) would hang. So each thread that
 * loads the addon registers a teardown hook (addon.c) that sets the abort word of its kernel memory's control block
 * and wakes the waiters; every wait in the kernels checks that word and leaves the kernel through `native_escape`
 * (set by addon.c around each call; the kernels hold no resources), and the call throws.
 */
#define NATIVE_ABORT_OFFSET 12
extern __thread jmp_buf *native_escape;

static inline void native_check_abort(const void *ctrl) {
  if (__atomic_load_n((const int32_t *)((const uint8_t *)ctrl + NATIVE_ABORT_OFFSET), __ATOMIC_SEQ_CST)) longjmp(*native_escape, 1);
}

/** gram.ts's gramLower: this thread's share of the slab [kBegin, kEnd) added to G's lower triangle. */
void native_gram_lower(uint8_t *mem, int tid, int nthreads, uint32_t ctrl, uint32_t src, int type,
                       int rows, int cols, uint32_t g, int ld, uint32_t pack0, uint32_t pack1, int kc,
                       int kBegin, int kEnd);

/** 1 where the Gram's multiply-adds are fused (this CPU has FMA). */
int native_gram_fused(void);

/** dense-band.ts's denseToBand (the fma build's numbers); only where native_dense_to_band_available(). */
void native_dense_to_band(uint8_t *mem, int tid, int nthreads, uint32_t ctrl, uint32_t a, int n, int ld, int b,
                          uint32_t vc, uint32_t vpk, uint32_t y, uint32_t w, uint32_t xp, uint32_t yp,
                          uint32_t small, int kcs, uint32_t tb);

/** 1 where dense-band.c was compiled (x86-64 with AVX2 and FMA). */
int native_dense_to_band_available(void);

#endif
