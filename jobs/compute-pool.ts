import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker as WorkerType } from 'node:worker_threads';
import type { AnalysisOptions } from '@/lib/types';
import type { analyzeMatrix } from '@/lib/spectral/analyze-matrix';
import { Bf16Matrix, type WeightMatrix } from '@/lib/spectral/bf16-matrix';

/**
 * A small pool of worker threads running the spectral core's `analyzeMatrix`, so the eigen-solve (seconds per
 * layer) never blocks the event loop that serves pages, polls the queue and streams the next tensor.
 *
 * Threads start from a small JS bootstrap (compute-worker.boot.mjs) that registers tsx inside the thread and imports
 * the TypeScript entry; both are addressed by absolute paths from `process.cwd()`, because inside `next start` the
 * bundled module has no usable `import.meta.url` for our sources. (`execArgv: ['--import', 'tsx']` does not reach
 * a worker thread's module loading on Node 20.)
 * A thread that dies (OOM, crash) rejects its tasks and is replaced; tasks beyond what the threads take wait in FIFO
 * order.
 *
 * Two tasks per thread (`tasksPerThread`, 2 in the process-wide pool): a thread holding one task takes a second, whose
 * eigen-solve then queues on the thread's kernel pool (lib/spectral/wasm/pool.ts serialises its jobs). The kernels
 * release their threads once a job's reduction is done and run its QL on the calling thread, so the second task's
 * Gram runs on the kernel threads while the first one's QL and power-law fit run: both cores busy instead of one
 * idle. Each held task's matrix is resident in the thread, so callers bound how many they submit (the pipeline holds
 * at most two decoded tensors, jobs/analyze-model.ts).
 *
 * Time budget: each task gets `budgetMs(rows, cols)` (default `layerBudgetMs`: LAYER_BUDGET_SECONDS +
 * N·M·min(N, M) / LAYER_BUDGET_FLOPS_PER_SECOND, i.e. a base plus the eigen-solve's scale), counted from the moment it
 * is the oldest task on its thread: when it is handed to a thread with nothing else on it, or else when the task
 * before it there settles. (Before that it mostly waits for the kernels behind the earlier task, whose own budget
 * already bounds that wait; its outlier scan and first Gram slab run meanwhile, which only shortens what is left.)
 * A task over budget is rejected with ComputeError(causeName 'LayerTimeout', naming the budget and the shape), its
 * thread is terminated (a thread busy in a tight loop cannot be interrupted any other way) and a fresh one takes the
 * next task. classifyError treats that like any other per-matrix analysis error (kind 'bad_tensor'), so the pipeline
 * stores the layer as skipped with the reason and goes on with the next one. The other task held by that thread is
 * lost with it (its matrix was transferred there): it is rejected with ComputeError(causeName 'Displaced'), which is
 * not the matrix's fault — classifyError makes it retriable, and the pipeline reads that layer again and resubmits it.
 * The spectral core bounds all its iterations, so this is a backstop, not the expected path.
 */

export type MatrixAnalysis = Awaited<ReturnType<typeof analyzeMatrix>>;

export interface ComputeRequest {
  id: number;
  /** W's entries; a Uint16Array holds a BF16 tensor's bits (a Bf16Matrix on the other side). */
  data: Float32Array | Float64Array | Uint16Array;
  rows: number;
  cols: number;
  options?: AnalysisOptions;
}

/** Message that starts a thread's eigen backend ahead of its first task; no answer is sent. */
export interface ComputeWarmUp {
  warm: true;
}

export type ComputeResponse =
  | { id: number; ok: true; result: MatrixAnalysis }
  | { id: number; ok: false; error: { name: string; message: string } };

interface Task {
  req: ComputeRequest;
  resolve(r: MatrixAnalysis): void;
  reject(e: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** causeName of the ComputeError of a task lost because another task on its thread ran over its budget. */
export const DISPLACED = 'Displaced';

/** Whether `err` is a task lost with a thread terminated for another task (retriable: resubmit the matrix). */
export function isDisplaced(err: unknown): boolean {
  return err instanceof ComputeError && err.causeName === DISPLACED;
}

/** Default base of the per-layer budget, seconds (LAYER_BUDGET_SECONDS). */
export const DEFAULT_LAYER_BUDGET_SECONDS = 60;
/** Default scale of the per-layer budget: N·M·min(N, M) per second (LAYER_BUDGET_FLOPS_PER_SECOND). */
export const DEFAULT_LAYER_BUDGET_FLOPS_PER_SECOND = 1e8;

function budgetSetting(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`invalid configuration: ${name}: expected a number >= 0, got ${raw}`);
  return v;
}

/**
 * The per-layer time budget in milliseconds for a rows × cols matrix:
 * LAYER_BUDGET_SECONDS (default 60) + N·M·min(N, M) / LAYER_BUDGET_FLOPS_PER_SECOND (default 1e8), N = max and
 * M = min of the shape — 60 s for small layers, ~61 s at 1024², ~12 min at 4096², ~31 min at 4096 × 11008, enough
 * for the slowest route (the pure-JS SVD fallback plus a randomized replica) on a loaded machine. Infinity (no
 * budget) when LAYER_BUDGET_SECONDS is 0. Throws, naming the variable, on an invalid value.
 */
export function layerBudgetMs(rows: number, cols: number, env: Record<string, string | undefined> = process.env): number {
  const base = budgetSetting(env, 'LAYER_BUDGET_SECONDS', DEFAULT_LAYER_BUDGET_SECONDS);
  const rate = budgetSetting(env, 'LAYER_BUDGET_FLOPS_PER_SECOND', DEFAULT_LAYER_BUDGET_FLOPS_PER_SECOND);
  if (base === 0) return Infinity;
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  const scaled = rate > 0 ? (N * M * M) / rate : 0;
  return (base + scaled) * 1000;
}

export interface ComputePoolOptions {
  /** Milliseconds a rows × cols task may run in its thread (default `layerBudgetMs` from the environment). */
  budgetMs?: (rows: number, cols: number) => number;
  /** Tasks a thread holds at once (default 1; see the module comment for 2). */
  tasksPerThread?: number;
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
  /** Tasks posted to each live thread, oldest first (the first one's budget is running). */
  private running = new Map<Worker, Task[]>();
  private waiting: Task[] = [];
  private nextId = 1;
  private closed = false;
  private all = new Set<Worker>();

  private readonly budgetMs: (rows: number, cols: number) => number;
  readonly tasksPerThread: number;

  constructor(
    private readonly size = 1,
    options: ComputePoolOptions = {},
  ) {
    if (options.budgetMs) {
      this.budgetMs = options.budgetMs;
    } else {
      layerBudgetMs(1, 1); // an invalid LAYER_BUDGET_* fails here, when the pool is made, not in a callback
      this.budgetMs = (rows, cols) => layerBudgetMs(rows, cols);
    }
    this.tasksPerThread = Math.max(1, Math.floor(options.tasksPerThread ?? 1));
  }

  /** Analyse one matrix in a thread. The buffer of `data` is transferred (unusable afterwards here). */
  analyze(matrix: WeightMatrix, rows: number, cols: number, options?: AnalysisOptions): Promise<MatrixAnalysis> {
    if (this.closed) return Promise.reject(new Error('compute pool is closed'));
    const data = matrix instanceof Bf16Matrix ? matrix.bits : matrix;
    // Transfer moves the whole underlying ArrayBuffer: copy views of larger buffers first.
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
    return new Promise((resolve, reject) => {
      this.waiting.push({ req: { id: this.nextId++, data: own, rows, cols, options }, resolve, reject });
      this.pump();
    });
  }

  /**
   * Start a thread and its eigen backend (kernels compiled, kernel threads booted, self-check) now, without a task,
   * so that this start-up overlaps whatever the caller does next (reading the first tensor) instead of following
   * it. A no-op when a thread is already up or the pool is at its size.
   */
  warm(): void {
    if (this.closed || this.all.size > 0) return;
    const w = this.spawn();
    w.postMessage({ warm: true } satisfies ComputeWarmUp);
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_BOOT, { workerData: { entry: WORKER_ENTRY } });
    this.all.add(w);
    this.running.set(w, []);
    w.on('message', (res: ComputeResponse) => {
      if (!this.all.has(w)) return; // a thread already given up on (over budget) and being terminated
      const tasks = this.running.get(w)!;
      const at = tasks.findIndex((t) => t.req.id === res.id);
      if (at >= 0) {
        const [task] = tasks.splice(at, 1);
        clearTimeout(task.timer);
        if (at === 0 && tasks.length > 0) this.startBudget(w, tasks[0]); // the next one is the oldest now
        if (res.ok) task.resolve(res.result);
        else task.reject(new ComputeError(res.error.message, res.error.name));
      }
      this.pump();
    });
    const onDeath = (err: Error) => {
      this.all.delete(w);
      const tasks = this.running.get(w) ?? [];
      this.running.delete(w);
      for (const task of tasks) {
        clearTimeout(task.timer);
        task.reject(new ComputeError(`compute thread died: ${err.message}`, 'WorkerDied'));
      }
      if (!this.closed) this.pump();
    };
    w.on('error', onDeath);
    w.on('exit', (code) => {
      if (this.all.has(w)) onDeath(new Error(`exit code ${code}`));
    });
    return w;
  }

  /** The thread with the fewest tasks that can take one more (a new one while under the pool size), or null. */
  private pickThread(): Worker | null {
    let best: Worker | null = null;
    let load = Infinity;
    for (const w of this.all) {
      const n = this.running.get(w)!.length;
      if (n < load) [best, load] = [w, n];
    }
    if (load > 0 && this.all.size < this.size) return this.spawn();
    return load < this.tasksPerThread ? best : null;
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const w = this.pickThread();
      if (!w) return;
      const task = this.waiting.shift()!;
      const tasks = this.running.get(w)!;
      tasks.push(task);
      if (tasks.length === 1) this.startBudget(w, task);
      w.postMessage(task.req, [task.req.data.buffer as ArrayBuffer]);
    }
  }

  /** Starts `task`'s budget: it is the oldest task on thread `w` now. */
  private startBudget(w: Worker, task: Task): void {
    const { rows, cols } = task.req;
    const budget = this.budgetMs(rows, cols);
    if (Number.isFinite(budget)) task.timer = setTimeout(() => this.overBudget(w, task, budget), Math.max(0, budget));
  }

  /**
   * A task ran past its budget: reject it, terminate its thread (the only way to stop a busy one), reject the other
   * task that thread held as displaced (retriable), go on.
   */
  private overBudget(w: Worker, task: Task, budgetMs: number): void {
    const tasks = this.running.get(w);
    if (!tasks || tasks[0] !== task) return;
    this.running.delete(w);
    this.all.delete(w); // its exit is expected now: the exit handler leaves it alone
    const { rows, cols } = task.req;
    task.reject(
      new ComputeError(
        `over its time budget of ${(budgetMs / 1000).toFixed(1)} s for a ${rows}x${cols} matrix ` +
          '(LAYER_BUDGET_SECONDS, LAYER_BUDGET_FLOPS_PER_SECOND); the compute thread was replaced',
        'LayerTimeout',
      ),
    );
    for (const other of tasks.slice(1)) {
      clearTimeout(other.timer);
      other.reject(
        new ComputeError(
          `the compute thread holding this ${other.req.rows}x${other.req.cols} matrix was replaced (another matrix ` +
            'on it ran over its time budget): submit it again',
          DISPLACED,
        ),
      );
    }
    void w.terminate().catch(() => {});
    if (!this.closed) this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new Error('compute pool closed'));
    for (const tasks of this.running.values()) for (const t of tasks) clearTimeout(t.timer);
    this.running.clear();
    const workers = [...this.all];
    this.all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const KEY = Symbol.for('alphaboard.computePool');
const g = globalThis as { [KEY]?: ComputePool };

/**
 * The process-wide pool (size from COMPUTE_THREADS), two tasks per thread: the pipeline's next layer waits in the
 * thread, its Gram overlapping the current layer's QL and fit (see the module comment).
 */
export function getComputePool(size = Number(process.env.COMPUTE_THREADS ?? 1)): ComputePool {
  return (g[KEY] ??= new ComputePool(Math.max(1, size), { tasksPerThread: 2 }));
}

export async function closeComputePool(): Promise<void> {
  const pool = g[KEY];
  delete g[KEY];
  await pool?.close();
}
