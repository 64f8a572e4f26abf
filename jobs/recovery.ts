import type PgBoss from 'pg-boss';
import { getDbHandle } from '@/db/client';
import { listStaleClaims, releaseAllClaims, type AnalysisJobRef } from '@/db/queries/analyses';
import { claimTimings } from './claims';
import { logger } from './logger';
import { ANALYZE_QUEUE, JOB_PRIORITY, onQueueStopping, sendAnalyzeJob } from './queue';

/**
 * Picking up analyses whose worker is gone, without waiting for pg-boss's job lease (JOB_LEASE_SECONDS).
 *
 * - Embedded database, at start-up: the folder lock makes this process the only owner, so a claim still marked
 *   running belongs to an earlier process of this installation (SIGKILLed, crashed, power cut). Every such claim is
 *   released at once, the earlier process's active jobs are closed, and each analysis is queued again: work resumes at
 *   the first missing layer within seconds of the restart.
 * - Every live worker (embedded or PostgreSQL), every heartbeat interval: a running analysis whose claim missed three
 *   heartbeats is queued again. The job's singletonKey collapses the sends of several workers into one queued job,
 *   and the claim arbitrates: the first run to claim it takes it over; a run finding the claim refreshed meanwhile
 *   (the worker was only paused and woke up) does nothing.
 */

function jobData(ref: AnalysisJobRef) {
  return { repoId: ref.repoId, sha: ref.sha, ref: ref.ref, analysisId: ref.analysisId, optionsKey: ref.optionsKey, kind: ref.kind };
}

/**
 * Embedded database only, before any handler runs: release the claims of the earlier owner, close its active
 * analyze jobs and queue the analyses again. Returns the analyses re-queued (none on PostgreSQL, where other live
 * workers may hold claims; there the sweeper decides by heartbeat).
 */
export async function recoverAfterRestart(boss: PgBoss): Promise<AnalysisJobRef[]> {
  const handle = await getDbHandle();
  if (handle.kind !== 'pglite') return [];
  // Jobs pg-boss still counts as active were taken by the earlier process; left alone they would sit until the lease
  // expires and then be retried for nothing.
  const active = await handle.sql.query(`SELECT id FROM pgboss.job WHERE name = $1 AND state = 'active'`, [ANALYZE_QUEUE]);
  const ids = active.rows.map((r) => String(r.id));
  if (ids.length > 0) await boss.complete(ANALYZE_QUEUE, ids);
  const released = await releaseAllClaims();
  for (const ref of released) {
    await sendAnalyzeJob(jobData(ref), { priority: JOB_PRIORITY.continuation });
    logger.warn(
      {
        repo: ref.repoId,
        revision: ref.sha,
        analysisId: ref.analysisId,
        holder: ref.worker,
        layersDone: ref.layersDone,
        layersTotal: ref.layersTotal,
      },
      'claim of an earlier process released at start-up; analysis queued to resume',
    );
  }
  return released;
}

/** One sweep: queue again every running analysis whose claim is stale. Returns the analyses a job was sent for. */
export async function sweepStaleClaims(): Promise<AnalysisJobRef[]> {
  const { staleAfterSeconds } = claimTimings();
  const stale = await listStaleClaims({ staleAfterSeconds });
  const sent: AnalysisJobRef[] = [];
  for (const ref of stale) {
    // null: a job for it is already queued (this or another worker sent it on an earlier sweep).
    const jobId = await sendAnalyzeJob(jobData(ref), { priority: JOB_PRIORITY.continuation });
    if (!jobId) continue;
    sent.push(ref);
    logger.warn(
      {
        repo: ref.repoId,
        revision: ref.sha,
        analysisId: ref.analysisId,
        holder: ref.worker,
        silentSeconds: Math.round(ref.silentSeconds),
        layersDone: ref.layersDone,
        layersTotal: ref.layersTotal,
      },
      'stale claim: its worker missed three heartbeats; analysis queued for takeover',
    );
  }
  return sent;
}

/**
 * Run {@link sweepStaleClaims} every heartbeat interval until `signal` aborts or the queue stops. Returns a function
 * that stops it. Errors (database briefly down) are logged and the next tick tries again.
 */
export function startClaimSweeper(signal?: AbortSignal): () => void {
  const { heartbeatSeconds } = claimTimings();
  let running = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped || signal?.aborted) return;
    running = true;
    sweepStaleClaims()
      .catch((err) => logger.warn({ err: (err as Error).message }, 'stale-claim sweep failed'))
      .finally(() => (running = false));
  }, heartbeatSeconds * 1000);
  timer.unref();
  const unhook = onQueueStopping(() => stop());
  const stop = () => {
    stopped = true;
    clearInterval(timer);
    unhook();
  };
  signal?.addEventListener('abort', stop, { once: true });
  return stop;
}
