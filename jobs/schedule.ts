import type PgBoss from 'pg-boss';
import { jobsConfig } from './config';
import { logger } from './logger';
import { DISCOVER_QUEUE } from './queue';

/**
 * The discovery cron (`DISCOVERY_CRON`, default every 6 hours, UTC; `off` removes it). pg-boss keeps schedules
 * in the database and its clock fires each one once across all workers, so any number of workers may call this.
 */
export async function ensureDiscoverySchedule(boss: PgBoss): Promise<string | null> {
  const { DISCOVERY_CRON } = jobsConfig();
  if (DISCOVERY_CRON === 'off') {
    await boss.unschedule(DISCOVER_QUEUE);
    logger.info('discovery schedule off (DISCOVERY_CRON=off)');
    return null;
  }
  await boss.schedule(DISCOVER_QUEUE, DISCOVERY_CRON, {}, { tz: 'UTC', singletonKey: 'discover' });
  logger.info({ cron: DISCOVERY_CRON }, 'discovery scheduled');
  return DISCOVERY_CRON;
}
