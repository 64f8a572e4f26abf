import { closeDb, getDbHandle } from '@/db/client';
import { stopBoardWatch } from '@/db/queries/board-watch';
import { closeComputePool } from './compute-pool';
import { logger } from './logger';
import { installProcessGuards } from './process-guards';
import { probeHub } from './hub-status';
import { getQueue, sendDiscoverJob, stopQueue } from './queue';
import { ensureDiscoverySchedule } from './schedule';
import { requestShutdown, startWorkers } from './work';

/**
 * Jobs inside the Next server (embedded mode): the server process owns the database (PGlite) and runs the queue,
 * the workers and the discovery schedule in process; spectra are computed in worker threads.
 *
 * If the Hub cannot be reached at start, the log and the pages say so plainly and stored results keep being
 * served; no discovery is queued until the schedule fires again.
 */

const KEY = Symbol.for('alphaboard.embedded');
const g = globalThis as { [KEY]?: Promise<void> };

export function startEmbedded(): Promise<void> {
  return (g[KEY] ??= start());
}

async function start(): Promise<void> {
  installProcessGuards();
  const handle = await getDbHandle();
  logger.info({ database: handle.kind, location: handle.location }, 'database open');
  const hub = await probeHub();
  if (!hub.reachable) {
    logger.warn({ endpoint: hub.endpoint }, hub.message!);
    console.warn(hub.message);
  }
  const boss = await getQueue({ supervise: true, schedule: true });
  await startWorkers(boss);
  await ensureDiscoverySchedule(boss);
  if (hub.reachable) await sendDiscoverJob();

  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping jobs');
    requestShutdown();
    await stopQueue(8000).catch((err) => logger.error({ err }, 'queue stop failed'));
    await closeComputePool();
    await stopBoardWatch().catch(() => {});
    await closeDb();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** Start only what a web-only process needs (Postgres + separate workers): the Hub status for the banner. */
export async function startWebOnly(): Promise<void> {
  const hub = await probeHub();
  if (!hub.reachable) logger.warn({ endpoint: hub.endpoint }, hub.message!);
}
