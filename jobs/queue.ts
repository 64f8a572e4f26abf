import PgBoss from 'pg-boss';
import { getDbHandle } from '@/db/client';
import { jobsConfig } from './config';
import { logger } from './logger';

/**
 * The job queue: pg-boss 10 on the application's own database.
 *
 * Embedded (PGlite): pg-boss gets a `db: { executeSql }` adapter over the process's single PGlite instance, so
 * queue and app share one connection (PGlite is single-session). PostgreSQL: pg-boss opens its own small pool
 * from DATABASE_URL, and any number of worker processes share the queue.
 *
 * Queues:
 * - `discover`: one run of discovery (watchlist + Hub query); fired by the cron schedule (jobs/schedule.ts) and
 *   once when a worker starts. Policy `stately`: at most one queued and one running.
 * - `analyze-model`: one (repo, sha, options) analysis. Policy `short` + singletonKey `repo@sha#options`: at most
 *   one queued job per key, so duplicate requests collapse. A running job does not block a new queued one; two
 *   workers never run one analysis at once because the handler must first claim the analysis row.
 *   `expireInSeconds` is the lease: a job still active after it is failed by pg-boss's maintenance and retried.
 *   Handlers stop by 60% of the lease and re-enqueue the rest (see analyze-model.ts). A dead or stalled worker is
 *   not left to the lease: its claim stops heart-beating, and a live worker re-sends the analysis' job after three
 *   missed beats (jobs/recovery.ts); the embedded server does it for an earlier process at start-up.
 */

export const DISCOVER_QUEUE = 'discover';
export const ANALYZE_QUEUE = 'analyze-model';

export interface AnalyzeModelData {
  repoId: string;
  sha: string;
  ref: string;
  analysisId: number;
  optionsKey: string;
  /**
   * The analysis' kind (absent = `model`). Delta and adapter analyses run on this same queue: the handler reads the
   * kind from the analysis row and dispatches (jobs/analyze-delta.ts), so recovery and retries need nothing else.
   */
  kind?: 'model' | 'delta' | 'adapter';
}

export function analyzeJobKey(params: { repoId: string; sha: string; optionsKey: string; kind?: string; analysisId?: number }): string {
  const base = `${params.repoId}@${params.sha}#${params.optionsKey}`;
  // A delta/adapter analysis shares its model's revision and options: its own id keeps the jobs apart.
  return params.kind && params.kind !== 'model' ? `${base}#${params.kind}:${params.analysisId}` : base;
}

export interface QueueRole {
  /** Run pg-boss maintenance (expiry of dead workers' jobs, archiving). Workers: yes; web-only: no. */
  supervise: boolean;
  /** Run the cron clock (jobs/schedule.ts). Workers: yes; web-only: no. */
  schedule: boolean;
}

const KEY = Symbol.for('alphaboard.queue');
const HOOKS = Symbol.for('alphaboard.queue.stopping');
const g = globalThis as { [KEY]?: Promise<PgBoss>; [HOOKS]?: Set<() => void> };

/**
 * Run `fn` once when {@link stopQueue} begins (before handlers drain): periodic work that sends jobs or reads the
 * database (the stale-claim sweeper) stops there. Returns a function that unregisters it.
 */
export function onQueueStopping(fn: () => void): () => void {
  const hooks = (g[HOOKS] ??= new Set());
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/** Seconds of the analysis lease and the maintenance interval that enforces it. */
export function leaseTimings(): { leaseSeconds: number; maintenanceSeconds: number; sliceSeconds: number } {
  const { JOB_LEASE_SECONDS } = jobsConfig();
  return {
    leaseSeconds: JOB_LEASE_SECONDS,
    maintenanceSeconds: Math.max(1, Math.min(120, Math.round(JOB_LEASE_SECONDS / 4))),
    sliceSeconds: Math.max(2, Math.floor(JOB_LEASE_SECONDS * 0.6)),
  };
}

async function createBoss(role: QueueRole): Promise<PgBoss> {
  const handle = await getDbHandle();
  const cfg = jobsConfig();
  const { leaseSeconds, maintenanceSeconds } = leaseTimings();
  const common = {
    schema: 'pgboss',
    supervise: role.supervise,
    schedule: role.schedule,
    maintenanceIntervalSeconds: maintenanceSeconds,
    // Job rows of finished work are kept a week for the admin listing, then dropped by maintenance.
    deleteAfterDays: 7,
  };
  const boss =
    handle.kind === 'postgres'
      ? new PgBoss({ ...common, connectionString: handle.connectionString!, max: 4 })
      : new PgBoss({
          ...common,
          db: {
            // pg-boss sends parameterless multi-statement scripts (its own schema) and parameterised single
            // statements. PGlite runs the former only through exec(), whose per-statement results pg-boss expects
            // as an array, like pg's multi-statement result.
            async executeSql(text: string, values?: unknown[]) {
              if (values && values.length > 0) return handle.sql.query(text, values);
              const results = await handle.sql.exec(text);
              return (results.length === 1 ? results[0] : results) as { rows: any[] };
            },
          },
        });
  // pg-boss error events can carry whole pg client objects; log the message only.
  boss.on('error', (err: Error & { queue?: string }) => logger.error({ err: err.message, queue: err.queue }, 'queue error'));
  // Several workers starting at once on a fresh PostgreSQL deadlock in pg-boss's schema and queue creation (both
  // create tables and attach partitions); one process at a time does it.
  await handle.withAdvisoryLock(QUEUE_SETUP_LOCK_KEY, () => setUp(boss, cfg, leaseSeconds));
  return boss;
}

/** Arbitrary constant key for pg_advisory_lock: "alphaboard queue setup". */
const QUEUE_SETUP_LOCK_KEY = 7_351_002;

async function setUp(boss: PgBoss, cfg: ReturnType<typeof jobsConfig>, leaseSeconds: number): Promise<void> {
  await boss.start();
  await ensureQueue(boss, DISCOVER_QUEUE, {
    name: DISCOVER_QUEUE,
    // At most one queued and one running discovery: cron ticks and worker starts collapse.
    policy: 'stately',
    retryLimit: 2,
    retryDelay: 60,
    retryBackoff: true,
    expireInSeconds: 1800,
  });
  await ensureQueue(boss, ANALYZE_QUEUE, {
    name: ANALYZE_QUEUE,
    policy: 'short',
    retryLimit: cfg.JOB_RETRY_LIMIT,
    retryDelay: cfg.JOB_RETRY_DELAY_SECONDS,
    retryBackoff: true,
    expireInSeconds: leaseSeconds,
  });
}

/** Create the queue if missing and bring its retry/lease policy up to date (settings may change between runs). */
async function ensureQueue(boss: PgBoss, name: string, options: PgBoss.Queue): Promise<void> {
  await boss.createQueue(name, options);
  await boss.updateQueue(name, options);
}

/** Web-only processes (WEB_ONLY=1 or ALPHABOARD_WORKER=off) only enqueue; everything else also maintains. */
function defaultRole(): QueueRole {
  const webOnly = process.env.WEB_ONLY === '1' || process.env.ALPHABOARD_WORKER === 'off';
  return { supervise: !webOnly, schedule: !webOnly };
}

/** The process's started pg-boss instance (one per process, shared across Next's module graphs). */
export function getQueue(role: QueueRole = defaultRole()): Promise<PgBoss> {
  if (!g[KEY]) {
    const starting = createBoss(role);
    g[KEY] = starting;
    starting.catch(() => {
      if (g[KEY] === starting) delete g[KEY];
    });
  }
  return g[KEY]!;
}

/** Stop pg-boss gracefully: waits up to `timeoutMs` for running handlers. */
export async function stopQueue(timeoutMs = 10_000): Promise<void> {
  const hooks = [...(g[HOOKS] ?? [])];
  g[HOOKS]?.clear();
  for (const fn of hooks) fn();
  const starting = g[KEY];
  if (!starting) return;
  const boss = await starting.catch(() => null);
  // The instance stays reachable while it drains: a handler finishing its layer re-queues the rest through it.
  await boss?.stop({ graceful: true, wait: true, timeout: timeoutMs, close: true });
  if (g[KEY] === starting) delete g[KEY];
}

/** Queue one analysis job; null when an identical job is already queued. */
export async function sendAnalyzeJob(
  data: AnalyzeModelData,
  options: { startAfterSeconds?: number; priority?: number } = {},
) {
  const boss = await getQueue();
  return boss.send(ANALYZE_QUEUE, data, {
    singletonKey: analyzeJobKey(data),
    ...(options.priority ? { priority: options.priority } : {}),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}

/**
 * Queue order (pg-boss: higher first): the rest of an analysis already under way, then what a person asked for, then
 * the watchlist, then what discovery found.
 */
export const JOB_PRIORITY = { continuation: 30, admin: 20, demo: 10, watchlist: 10, discovery: 0 } as const;

/** Queue a discovery run now (the cron does this on schedule). */
export async function sendDiscoverJob(): Promise<string | null> {
  const boss = await getQueue();
  return boss.send(DISCOVER_QUEUE, {}, { singletonKey: 'discover' });
}
