import { jobsConfig } from './config';

/**
 * Timing of analysis claims, shared by the workers (heartbeat, stale-claim sweeper) and the read side (the
 * "waiting to resume" status). Kept free of pg-boss so that the web tier can import it.
 *
 * A running analysis' claim is refreshed every `heartbeatSeconds` (and by every stored layer). After
 * `MISSED_BEATS` missed beats (`staleAfterSeconds`) its worker counts as gone: a live worker re-queues the analysis
 * and the next claim takes it over, resuming at the first missing layer.
 */

export const MISSED_BEATS = 3;

export interface ClaimTimings {
  heartbeatSeconds: number;
  staleAfterSeconds: number;
}

export function claimTimings(env: NodeJS.ProcessEnv = process.env): ClaimTimings {
  const { JOB_LEASE_SECONDS, JOB_HEARTBEAT_SECONDS } = jobsConfig(env);
  const heartbeatSeconds = JOB_HEARTBEAT_SECONDS ?? Math.max(1, Math.min(15, Math.floor(JOB_LEASE_SECONDS / 6)));
  return { heartbeatSeconds, staleAfterSeconds: heartbeatSeconds * MISSED_BEATS };
}

/** True when a running analysis' last heartbeat (`updatedAt`) is older than the stale window at `now`. */
export function isClaimStale(
  analysis: { status: string; updatedAt: Date | string | null },
  now: number = Date.now(),
  timings: ClaimTimings = claimTimings(),
): boolean {
  if (analysis.status !== 'running' || analysis.updatedAt == null) return false;
  return now - new Date(analysis.updatedAt).getTime() > timings.staleAfterSeconds * 1000;
}
