import { closeDb, databaseUrl, getDbHandle } from '@/db/client';
import { closeComputePool } from './compute-pool';
import { probeHub } from './hub-status';
import { logger } from './logger';
import { startMetricsServer } from './metrics';
import { installProcessGuards } from './process-guards';
import { getQueue, sendDiscoverJob, stopQueue } from './queue';
import { ensureDiscoverySchedule } from './schedule';
import { requestShutdown, startWorkers } from './work';

/**
 * `npm run worker`: a standalone worker for the scale-out shape. Requires DATABASE_URL (PostgreSQL): the embedded
 * database belongs to the web server, which already runs a worker in process.
 *
 * SIGTERM/SIGINT: the running analysis stops after its current layer, gives its claim back and re-queues the
 * rest; then the process exits. A second signal exits at once (whatever is stored stays stored).
 */
async function main(): Promise<void> {
  if (!databaseUrl() && process.env.ALPHABOARD_ALLOW_EMBEDDED_WORKER !== '1') {
    console.error(
      'npm run worker needs DATABASE_URL=postgres://... (a PostgreSQL shared by all workers). ' +
        'With the embedded database, `npm start` already runs the worker inside the server.',
    );
    process.exit(2);
  }
  installProcessGuards();
  const handle = await getDbHandle();
  logger.info({ database: handle.kind, location: handle.location }, 'worker starting');
  const hub = await probeHub();
  if (!hub.reachable) logger.warn({ endpoint: hub.endpoint }, hub.message!);
  const metricsServer = startMetricsServer();
  if (metricsServer) logger.info({ port: process.env.METRICS_PORT ?? '9464' }, 'worker metrics on /metrics');
  const boss = await getQueue({ supervise: true, schedule: true });
  await startWorkers(boss);
  await ensureDiscoverySchedule(boss);
  if (hub.reachable && process.env.DISCOVER_ON_START !== '0') await sendDiscoverJob();

  let stoppingSince = 0;
  const stop = async (signal: string) => {
    // A signal to the process group reaches this process twice (directly and relayed by npm/tsx); only a second
    // signal a moment later means "exit now".
    if (stoppingSince) {
      if (Date.now() - stoppingSince > 1000) process.exit(130);
      return;
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'worker stopping');
    requestShutdown();
    await stopQueue(30_000).catch((err) => logger.error({ err }, 'queue stop failed'));
    await closeComputePool();
    await closeDb();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
