import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker as WorkerType } from 'node:worker_threads';
import type { AnalysisOptions } from '@/lib/types';
import type { analyzeMatrix } from '@/lib/spectral/analyze-matrix';

/**
 * A small pool of worker threads running the spectral core's `analyzeMatrix`, so the eigen-solve (seconds per
 * layer) never blocks the event loop that serves pages, polls the queue and streams the next tensor.
 *
 * Threads start from a small JS bootstrap (compute-worker.boot.mjs) that registers tsx inside the thread and imports
 * the TypeScript entry; both are addressed by absolute paths from `process.cwd()`, because inside `next start` the
 * bundled module has no usable `import.meta.url` for our sources. (`execArgv: ['--import', 'tsx']` does not reach
 * a worker thread's module loading on Node 20.)
 * A thread that dies (OOM, crash) rejects its task and is replaced; tasks beyond the pool size wait in FIFO order.
 */

export type MatrixAnalysis = Awaited<ReturnType<typeof analyzeMatrix>>;

export interface ComputeRequest {
  id: number;
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
  options?: AnalysisOptions;
}

export type ComputeResponse =
  | { id: number; ok: true; result: MatrixAnalysis }
  | { id: number; ok: false; error: { name: string; message: string } };

interface Task {
  req: ComputeRequest;
  resolve(r: MatrixAnalysis): void;
  reject(e: Error): void;
}

export class ComputeError extends Error {
  constructor(message: string, readonly causeName: string) {
    super(message);
    this.name = 'ComputeError';
  }
}

// Fetched at run time rather than imported: Next's bundler rewrites `new Worker(...)` calls it can see into bundled
// worker chunks ("Cannot find module as expression is too dynamic"); these threads must load our sources as files.
const { Worker } = process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
type Worker = WorkerType;

const WORKER_BOOT = path.resolve(process.cwd(), 'jobs/compute-worker.boot.mjs');
const WORKER_ENTRY = pathToFileURL(path.resolve(process.cwd(), 'jobs/compute-worker.ts')).href;

export class ComputePool {
  private idle: Worker[] = [];
  private busy = new Map<Worker, Task>();
  private waiting: Task[] = [];
  private nextId = 1;
  private closed = false;
  private all = new Set<Worker>();

  constructor(private readonly size = 1) {}

  /** Analyse one matrix in a thread. The buffer of `data` is transferred (unusable afterwards here). */
  analyze(data: Float32Array | Float64Array, rows: number, cols: number, options?: AnalysisOptions): Promise<MatrixAnalysis> {
    if (this.closed) return Promise.reject(new Error('compute pool is closed'));
    // Transfer moves the whole underlying ArrayBuffer: copy views of larger buffers first.
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
    return new Promise((resolve, reject) => {
      this.waiting.push({ req: { id: this.nextId++, data: own, rows, cols, options }, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_BOOT, { workerData: { entry: WORKER_ENTRY } });
    this.all.add(w);
    w.on('message', (res: ComputeResponse) => {
      const task = this.busy.get(w);
      this.busy.delete(w);
      this.idle.push(w);
      if (task) {
        if (res.ok) task.resolve(res.result);
        else task.reject(new ComputeError(res.error.message, res.error.name));
      }
      this.pump();
    });
    const onDeath = (err: Error) => {
      this.all.delete(w);
      this.idle = this.idle.filter((x) => x !== w);
      const task = this.busy.get(w);
      this.busy.delete(w);
      task?.reject(new ComputeError(`compute thread died: ${err.message}`, 'WorkerDied'));
      if (!this.closed) this.pump();
    };
    w.on('error', onDeath);
    w.on('exit', (code) => {
      if (this.all.has(w)) onDeath(new Error(`exit code ${code}`));
    });
    return w;
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      let w = this.idle.pop();
      if (!w && this.all.size < this.size) w = this.spawn();
      if (!w) return;
      const task = this.waiting.shift()!;
      this.busy.set(w, task);
      w.postMessage(task.req, [task.req.data.buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new Error('compute pool closed'));
    const workers = [...this.all];
    this.all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const KEY = Symbol.for('alphaboard.computePool');
const g = globalThis as { [KEY]?: ComputePool };

/** The process-wide pool (size from COMPUTE_THREADS). */
export function getComputePool(size = Number(process.env.COMPUTE_THREADS ?? 1)): ComputePool {
  return (g[KEY] ??= new ComputePool(Math.max(1, size)));
}

export async function closeComputePool(): Promise<void> {
  const pool = g[KEY];
  delete g[KEY];
  await pool?.close();
}
