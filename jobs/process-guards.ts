import { logger } from './logger';

/**
 * pg-boss 10 completes and fails jobs without awaiting the query (manager.watch). While the database is down, such a
 * query rejects with nobody listening, and Node's default for an unhandled rejection is to kill the process: one
 * database restart would take every worker down. Those rejections are logged instead; the analysis they concerned is
 * recovered when its claim goes stale (a live worker re-queues it, jobs/recovery.ts) or, at the latest, by the job's
 * lease (pg-boss expires it and retries).
 */
const KEY = Symbol.for('alphaboard.processGuards');
const g = globalThis as { [KEY]?: boolean };

export function installProcessGuards(): void {
  if (g[KEY]) return;
  g[KEY] = true;
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    logger.error({ err: err.message, code: (err as NodeJS.ErrnoException).code }, 'unhandled rejection (logged, not fatal)');
  });
}
