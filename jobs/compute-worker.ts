import { parentPort } from 'node:worker_threads';
import { analyzeMatrix } from '@/lib/spectral';
import { eigenBackend } from '@/lib/spectral/eigen';
import { Bf16Matrix } from '@/lib/spectral/bf16-matrix';
import type { ComputeRequest, ComputeResponse, ComputeWarmUp } from './compute-pool';
import { collectGarbage } from './memory';

/**
 * Worker-thread entry of the compute pool: runs the spectral analysis of one matrix per message, off the main
 * event loop (which keeps serving HTTP, the queue and the database). The input buffer arrives transferred, so a
 * matrix is never held twice. Messages are handled concurrently: a second task queues its eigen-solve on the kernel
 * pool behind the first one (jobs/compute-pool.ts).
 */
if (!parentPort) throw new Error('jobs/compute-worker.ts must run as a worker thread');
const port = parentPort;

/** When the last task of this thread settled (performance.now()). */
let lastSettled = 0;

port.on('message', async (req: ComputeRequest | ComputeWarmUp) => {
  if ('warm' in req) {
    // Start the backend now (a task arriving meanwhile awaits the same start); failures surface with that task.
    void eigenBackend().catch(() => undefined);
    return;
  }
  let res: ComputeResponse;
  const started = performance.now();
  try {
    const data = req.data instanceof Uint16Array ? new Bf16Matrix(req.data) : req.data;
    const result = await analyzeMatrix(data, req.rows, req.cols, req.options);
    // A task that arrived while another one ran here (the pool's second task per thread) counts its eigen time from
    // when that one settled: until then it waited behind it for the kernels, or ran beside that one's QL and fit (time
    // already counted there), so the layers' eigen_s still add up to the thread's busy time.
    const waited = Math.max(0, lastSettled - started) / 1000;
    if (waited > 0) result.timings = { ...result.timings, eigen_s: Math.max(0, result.timings.eigen_s - waited) };
    res = { id: req.id, ok: true, result };
  } catch (err) {
    const e = err as Error;
    res = { id: req.id, ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } };
  }
  lastSettled = performance.now();
  port.postMessage(res);
  // The matrix it was handed (hundreds of MB) is garbage now; an idle thread would keep it resident until its next task.
  setImmediate(collectGarbage);
});
