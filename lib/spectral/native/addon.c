// Node-API glue of the native kernels (gram.c, dense-band.c): argument checks, then the kernel on the bytes of the
// kernel memory (a Uint8Array over the WebAssembly memory's SharedArrayBuffer).
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include "kernels.h"

__thread jmp_buf *native_escape;

/** Per thread (Node-API environment): the control block whose kernels to abort when this thread is torn down. */
typedef struct {
  uint8_t *ctrl;
} Teardown;

static void on_teardown(void *arg) {
  Teardown *t = arg;
  if (!t->ctrl) return;
  __atomic_store_n((int32_t *)(t->ctrl + NATIVE_ABORT_OFFSET), 1, __ATOMIC_SEQ_CST);
  // waiters poll the abort word at least every 10 ms (futex timeouts, or spinning with yields)
}

static void free_teardown(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/** Records `ctrl` as the control block this thread's teardown aborts. */
static void watch(napi_env env, uint8_t *ctrl) {
  Teardown *t = NULL;
  if (napi_get_instance_data(env, (void **)&t) == napi_ok && t) t->ctrl = ctrl;
}

/** argv[0] as the kernel memory's bytes, argv[1..count] as integers; false (with a JS exception) otherwise. */
static bool read_args(napi_env env, napi_callback_info info, size_t count, const char *name, uint8_t **mem, size_t *length, int64_t *out) {
  size_t argc = count + 1;
  napi_value argv[32];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1) {
    napi_throw_type_error(env, NULL, name);
    return false;
  }
  napi_typedarray_type type;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, name);
    return false;
  }
  *mem = data;
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &out[i]) != napi_ok || out[i] < 0 || out[i] > 0xffffffffLL) {
      napi_throw_type_error(env, NULL, name);
      return false;
    }
  }
  return true;
}

/** [at, at + bytes) inside the memory. */
static bool inside(uint64_t at, uint64_t bytes, size_t length) {
  return at + bytes <= length;
}

// gramLower(memory, tid, nthreads, ctrl, src, srcType, rows, cols, g, ld, pack0, pack1, kc, kBegin, kEnd)
static napi_value js_gram_lower(napi_env env, napi_callback_info info) {
  uint8_t *mem;
  size_t length;
  int64_t a[14];
  if (!read_args(env, info, 14, "gramLower(memory: Uint8Array, ...14 non-negative integers)", &mem, &length, a)) return NULL;
  int tid = (int)a[0], nthreads = (int)a[1], srcType = (int)a[4], rows = (int)a[5], cols = (int)a[6], ld = (int)a[8];
  int kc = (int)a[11], kBegin = (int)a[12], kEnd = (int)a[13];
  int trans = rows > cols, n = trans ? cols : rows;
  uint64_t strips = ((uint64_t)n + 7) / 8;
  uint64_t elem = srcType == 1 ? 8 : srcType == 2 ? 2 : 4;
  if (nthreads < 1 || tid >= nthreads || srcType > 2 || rows < 1 || cols < 1 || kc < 1 || kEnd <= kBegin ||
      (uint64_t)ld < strips * 8 || ld % 4 != 0 || !inside(a[2], 8, length) || !inside(a[7], (uint64_t)ld * ld * 8, length) ||
      !inside(a[9], strips * 8 * kc * 8, length) || !inside(a[10], strips * 8 * kc * 8, length) ||
      !inside(a[3], (uint64_t)(kEnd - kBegin) * (trans ? cols : rows) * elem, length)) {
    napi_throw_range_error(env, NULL, "gramLower: arguments out of range of the kernel memory");
    return NULL;
  }
  jmp_buf escape;
  if (setjmp(escape)) {
    native_escape = NULL;
    napi_throw_error(env, NULL, "gramLower: aborted, a partner thread was terminated");
    return NULL;
  }
  native_escape = &escape;
  native_gram_lower(mem, tid, nthreads, (uint32_t)a[2], (uint32_t)a[3], srcType, rows, cols, (uint32_t)a[7], ld,
                    (uint32_t)a[9], (uint32_t)a[10], kc, kBegin, kEnd);
  native_escape = NULL;
  return NULL;
}

// denseToBand(memory, tid, nthreads, ctrl, a, n, ld, b, vc, vpk, y, w, xp, yp, small, kcs, tb)
static napi_value js_dense_to_band(napi_env env, napi_callback_info info) {
  uint8_t *mem;
  size_t length;
  int64_t v[16];
  if (!read_args(env, info, 16, "denseToBand(memory: Uint8Array, ...16 non-negative integers)", &mem, &length, v)) return NULL;
  int tid = (int)v[0], nthreads = (int)v[1], n = (int)v[4], ld = (int)v[5], b = (int)v[6], kcs = (int)v[14];
  uint64_t L = (uint64_t)ld * 8, B = (uint64_t)b;
  // the work areas as pool.ts lays them out (dense-band.ts: vc, vpk, w: ld·b; y: ld·b per thread; xp, yp: ld·2b;
  // small: (5 + nthreads)·b² + b + 3·nthreads; tb: 256·4 per thread)
  if (nthreads < 1 || tid >= nthreads || n < 1 || b < 4 || b % 4 != 0 || ld < n + 4 || ld % 4 != 0 || kcs < 1 ||
      !inside(v[2], 64, length) || !inside(v[3], L * ld, length) || !inside(v[7], L * B, length) ||
      !inside(v[8], L * B, length) || !inside(v[9], L * B * nthreads, length) || !inside(v[10], L * B, length) ||
      !inside(v[11], L * 2 * B, length) || !inside(v[12], L * 2 * B, length) ||
      !inside(v[13], ((5 + (uint64_t)nthreads) * B * B + B + 3 * (uint64_t)nthreads) * 8, length) ||
      !inside(v[15], (uint64_t)nthreads * 256 * 4 * 8, length)) {
    napi_throw_range_error(env, NULL, "denseToBand: arguments out of range of the kernel memory");
    return NULL;
  }
  jmp_buf escape;
  if (setjmp(escape)) {
    native_escape = NULL;
    napi_throw_error(env, NULL, "denseToBand: aborted, a partner thread was terminated");
    return NULL;
  }
  native_escape = &escape;
  native_dense_to_band(mem, tid, nthreads, (uint32_t)v[2], (uint32_t)v[3], n, ld, b, (uint32_t)v[7], (uint32_t)v[8],
                       (uint32_t)v[9], (uint32_t)v[10], (uint32_t)v[11], (uint32_t)v[12], (uint32_t)v[13], kcs, (uint32_t)v[15]);
  native_escape = NULL;
  return NULL;
}

// watchTeardown(memory, ctrl): this thread's teardown aborts the kernels waiting on that control block. Called by each
// kernel worker at start with its pool's memory, which the worker holds for its whole life, so the hook never writes
// into freed memory (the kernel calls themselves do not register: a caller's memory may be collected before exit).
static napi_value js_watch_teardown(napi_env env, napi_callback_info info) {
  uint8_t *mem;
  size_t length;
  int64_t v[1];
  if (!read_args(env, info, 1, "watchTeardown(memory: Uint8Array, ctrl)", &mem, &length, v)) return NULL;
  if (!inside(v[0], 64, length)) {
    napi_throw_range_error(env, NULL, "watchTeardown: control block out of range of the kernel memory");
    return NULL;
  }
  watch(env, mem + v[0]);
  return NULL;
}

static bool export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

static bool export_flag(napi_env env, napi_value exports, const char *name, bool value) {
  napi_value flag;
  return napi_get_boolean(env, value, &flag) == napi_ok && napi_set_named_property(env, exports, name, flag) == napi_ok;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  Teardown *t = calloc(1, sizeof(Teardown));
  if (!t) return NULL;
  if (napi_set_instance_data(env, t, free_teardown, NULL) != napi_ok) {
    free(t);
    return NULL;
  }
  if (napi_add_env_cleanup_hook(env, on_teardown, t) != napi_ok) return NULL;
  if (!export_function(env, exports, "watchTeardown", js_watch_teardown)) return NULL;
  if (!export_function(env, exports, "gramLower", js_gram_lower)) return NULL;
  if (!export_flag(env, exports, "fused", native_gram_fused())) return NULL;
  // the reduction only where it was compiled (AVX2 + FMA), so that its numbers are the fma build's
  if (native_dense_to_band_available() && !export_function(env, exports, "denseToBand", js_dense_to_band)) return NULL;
  return exports;
}
