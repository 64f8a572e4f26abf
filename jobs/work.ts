import type PgBoss from 'pg-boss';
import { jobsConfig } from './config';
import { logger } from './logger';
import { ANALYZE_QUEUE, DISCOVER_QUEUE, type AnalyzeModelData } from './queue';
import { analyzeModel } from './analyze-model';
import { discover } from './discover';
import { recoverAfterRestart, startClaimSweeper } from './recovery';

/**
 * Registers this process's job handlers. `WORKER_CONCURRENCY` analyses run at once (pg-boss 10 fetches one job
 * per `work()` registration, so one registration per slot). Handlers watch `shutdownSignal()`: on SIGTERM a
 * running analysis stops after its current layer, gives its claim back and re-queues the rest.
 *
 * Before the handlers start, an embedded database's claims left by an earlier process are released and re-queued;
 * while they run, a sweeper re-queues analyses whose claim missed three heartbeats (jobs/recovery.ts).
 */

const KEY = Symbol.for('alphaboard.shutdown');
const g = globalThis as { [KEY]?: AbortController };

export function shutdownSignal(): AbortSignal {
  return (g[KEY] ??= new AbortController()).signal;
}

export function requestShutdown(): void {
  (g[KEY] ??= new AbortController()).abort(new Error('worker shutting down'));
}

export async function startWorkers(boss: PgBoss): Promise<void> {
  const { WORKER_CONCURRENCY } = jobsConfig();
  await recoverAfterRestart(boss);
  await boss.work(DISCOVER_QUEUE, { pollingIntervalSeconds: 2 }, async () => {
    await discover({ signal: shutdownSignal() });
  });
  for (let i = 0; i < WORKER_CONCURRENCY; i++) {
    await boss.work<AnalyzeModelData>(
      ANALYZE_QUEUE,
      { pollingIntervalSeconds: 1, includeMetadata: true },
      async ([job]) =>
        analyzeModel(job.data, {
          signal: shutdownSignal(),
          attempt: job.retryCount,
          lastAttempt: job.retryCount >= job.retryLimit,
        }),
    );
  }
  startClaimSweeper(shutdownSignal());
  logger.info({ concurrency: WORKER_CONCURRENCY }, 'job workers started');
}
