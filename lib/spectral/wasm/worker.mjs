// Worker thread of the WASM eigenvalue pool (see pool.ts). Plain ESM JavaScript so it runs the same
// under tsx, plain node and a bundled Next.js server. It instantiates the module the pool compiled
// (spectral.wasm or spectral-fma.wasm: a compiled module crosses threads without being validated
// again, and V8 flags such as relaxed SIMD are process-wide) on the shared memory it is given and
// runs kernels on request; all threads run the same kernel (SPMD) and synchronise inside
// WebAssembly through the control block.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

const { module, memory, tid, nativeAddon, nativeReduce } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } });
const k = instance.exports;
// The native kernels (lib/spectral/native, compiled for this CPU and checked by the pool) where the pool chose them:
// the same arguments as the WebAssembly gramLower and denseToBand, on the same memory's bytes.
function loadAddon(file) {
  const m = { exports: {} };
  process.dlopen(m, file);
  return m.exports;
}
const native = nativeAddon ? loadAddon(nativeAddon) : null;
// A partner terminated while this thread waits for it in native code would hold this thread (and the process) forever:
// this thread's teardown aborts the native kernels waiting on the pool's control block (addon.c).
if (native) native.watchTeardown(new Uint8Array(memory.buffer), workerData.ctrl);

/**
 * Two-stage reduction of the Gram matrix in L.g to tridiagonal (d, e): dense -> band (dense-band.ts),
 * then band -> tridiagonal by bulge chasing (band-tridiag.ts, sweeps pipelined over the threads; the
 * result is bitwise that of one thread), both on every thread.
 * Returns thread 0's phase clocks of stage 1 and the milliseconds of stage 2.
 */
function reduceTwoStage(job, L) {
  if (native && nativeReduce) {
    native.denseToBand(new Uint8Array(memory.buffer), tid, job.nthreads, L.ctrl, L.g, job.n, L.ld, job.bw, L.vc, L.vpk, L.ys, L.ws, L.vp, L.wp, L.small, job.kcBand, L.tb);
  } else {
    k.denseToBand(tid, job.nthreads, L.ctrl, L.g, job.n, L.ld, job.bw, L.vc, L.vpk, L.ys, L.ws, L.vp, L.wp, L.small, job.kcBand, L.tb);
  }
  const phases = tid === 0 ? Array.from(new Float64Array(memory.buffer, L.ctrl + 16, 5)) : [];
  const t = performance.now();
  k.bandToTridiagSpmd(tid, job.nthreads, L.bandCtrl, L.g, job.n, L.ld, job.bw, L.d, L.e, L.bandWork);
  return { phases, bandMs: performance.now() - t };
}

parentPort.on('message', (job) => {
  try {
    const L = job.layout;
    if (job.op === 'gram') {
      // one slab of W's inner dimension (at job.src; element type job.srcType: 0 f32, 1 f64, 2 bf16), added to G
      // (zeroed by the first slab)
      const t0 = performance.now();
      if (native) {
        // a fresh view each time: the memory may have grown since
        native.gramLower(new Uint8Array(memory.buffer), tid, job.nthreads, L.ctrl, job.src, job.srcType, job.rows, job.cols, L.g, L.ld, L.pack0, L.pack1, job.kc, job.kBegin, job.kEnd);
      } else {
        k.gramLower(tid, job.nthreads, L.ctrl, job.src, job.srcType, job.rows, job.cols, L.g, L.ld, L.pack0, L.pack1, job.kc, job.kBegin, job.kEnd);
      }
      parentPort.postMessage({ id: job.id, ok: true, timings: { gram_ms: performance.now() - t0 } });
      return;
    }
    if (job.op !== 'reduce') throw new Error(`unknown op ${job.op}`);
    const t1 = performance.now();
    let stage = null;
    if (job.twoStage) {
      stage = reduceTwoStage(job, L);
    } else {
      k.tridiagLower(tid, job.nthreads, L.ctrl, L.g, job.n, L.ld, L.d, L.e, L.wb, L.vp, L.wp, L.vbuf, L.ybuf, L.scr, job.nb);
    }
    const t2 = performance.now();
    // the tridiagonal (d, e) is left in memory: the pool copies it out and runs QL on its own thread
    const phases = tid === 0 ? (stage?.phases ?? Array.from(new Float64Array(memory.buffer, L.ctrl + 16, 5))) : [];
    parentPort.postMessage({ id: job.id, ok: true, timings: { gram_ms: 0, tridiag_ms: t2 - t1, phases_ms: phases, stage2_ms: stage?.bandMs ?? 0 } });
  } catch (err) {
    parentPort.postMessage({ id: job.id, ok: false, error: String(err && err.stack ? err.stack : err) });
  }
});
