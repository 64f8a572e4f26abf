// Worker thread of the WASM eigenvalue pool (see pool.ts). Plain ESM JavaScript so it runs the same
// under tsx, plain node and a bundled Next.js server. It instantiates the module the pool compiled
// (spectral.wasm or spectral-fma.wasm: a compiled module crosses threads without being validated
// again, and V8 flags such as relaxed SIMD are process-wide) on the shared memory it is given and
// runs kernels on request; all threads run the same kernel (SPMD) and synchronise inside
// WebAssembly through the control block.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

const { module, memory, tid } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } });
const k = instance.exports;

// Stage 2 of the two-stage reduction (band -> tridiagonal), thread 0 alone.
function bandStage(job, L) {
  const t = performance.now();
  if (k.bandToTridiag) {
    k.bandToTridiag(L.g, job.n, L.ld, job.bw, L.d, L.e, L.bandWork);
  } else {
    // stand-in until the bulge-chasing kernel exists: the one-stage reduction of the band matrix
    k.tridiagLower(0, 1, L.ctrl, L.g, job.n, L.ld, L.d, L.e, L.wb, L.vp, L.wp, L.vbuf, L.ybuf, L.scr, job.nb);
  }
  stage2Ms = performance.now() - t;
}
let stage2Ms = 0;

parentPort.on('message', (job) => {
  try {
    if (job.op !== 'eigen') throw new Error(`unknown op ${job.op}`);
    const L = job.layout;
    const t0 = performance.now();
    k.gramLower(tid, job.nthreads, L.ctrl, L.src, job.isF64 ? 1 : 0, job.rows, job.cols, L.g, L.ld, L.pack0, L.pack1, job.kc);
    const t1 = performance.now();
    let phases = null;
    if (job.twoStage) {
      k.mirrorLower(tid, job.nthreads, L.ctrl, L.g, job.n, L.ld);
      k.denseToBand(tid, job.nthreads, L.ctrl, L.g, job.n, L.ld, job.bw, L.vc, L.vpk, L.ys, L.ws, L.vp, L.wp, L.small, job.kcBand);
      if (tid === 0) {
        phases = Array.from(new Float64Array(memory.buffer, L.ctrl + 16, 5));
        bandStage(job, L);
      }
    } else {
      k.tridiagLower(tid, job.nthreads, L.ctrl, L.g, job.n, L.ld, L.d, L.e, L.wb, L.vp, L.wp, L.vbuf, L.ybuf, L.scr, job.nb);
    }
    const t2 = performance.now();
    let failed = 0;
    if (tid === 0) failed = k.tqlValues(job.n, L.d, L.e);
    const t3 = performance.now();
    parentPort.postMessage({ id: job.id, ok: true, failed, timings: { gram_ms: t1 - t0, tridiag_ms: t2 - t1, tql_ms: t3 - t2, phases_ms: tid === 0 ? (phases ?? Array.from(new Float64Array(memory.buffer, L.ctrl + 16, 5))) : [], stage2_ms: tid === 0 && job.twoStage ? stage2Ms : 0 } });
  } catch (err) {
    parentPort.postMessage({ id: job.id, ok: false, error: String(err && err.stack ? err.stack : err) });
  }
});
