import { parentPort } from 'node:worker_threads';
import { analyzeMatrix } from '@/lib/spectral';
import { eigenBackend } from '@/lib/spectral/eigen';
import type { ComputeRequest, ComputeResponse, ComputeWarmUp } from './compute-pool';
import { collectGarbage } from './memory';

/**
 * Worker-thread entry of the compute pool: runs the spectral analysis of one matrix per message, off the main
 * event loop (which keeps serving HTTP, the queue and the database). The input buffer arrives transferred, so a
 * matrix is never held twice.
 */
if (!parentPort) throw new Error('jobs/compute-worker.ts must run as a worker thread');
const port = parentPort;

port.on('message', async (req: ComputeRequest | ComputeWarmUp) => {
  if ('warm' in req) {
    // Start the backend now (a task arriving meanwhile awaits the same start); failures surface with that task.
    void eigenBackend().catch(() => undefined);
    return;
  }
  let res: ComputeResponse;
  try {
    const result = await analyzeMatrix(req.data, req.rows, req.cols, req.options);
    res = { id: req.id, ok: true, result };
  } catch (err) {
    const e = err as Error;
    res = { id: req.id, ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } };
  }
  port.postMessage(res);
  // The matrix it was handed (hundreds of MB) is garbage now; an idle thread would keep it resident until its next task.
  setImmediate(collectGarbage);
});
