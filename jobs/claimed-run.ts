import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import {
  claimAnalysis,
  ClaimLostError,
  getAnalysis,
  heartbeatAnalysis,
  markAnalysisFailed,
  releaseAnalysis,
} from '@/db/queries/analyses';
import type { Analysis } from '@/db/schema';
import { claimTimings } from './claims';
import { classifyError } from './errors';
import { logger as rootLogger } from './logger';
import { JOB_PRIORITY, leaseTimings, sendAnalyzeJob, type AnalyzeModelData } from './queue';

/**
 * The claimed run every analysis job shares, whatever its kind (model, delta, adapter): claim the analysis row (a
 * live claim elsewhere, or a done/failed analysis, makes the job a no-op), beat the claim's heartbeat, give the body
 * a deadline (60% of the lease) and a stop signal, re-queue the rest when the body returns 'continued', and turn a
 * failure into a failed analysis (permanent, or the last retry) or a release + retry (transient). Every write the
 * body makes passes `ctx.worker`, so it is made only while this run still holds the claim.
 */

export interface AnalyzeRunOptions {
  /** Aborted on worker shutdown: stop after the current layer and re-queue the rest. */
  signal?: AbortSignal;
  /** pg-boss retry count of this job (0 = first try). */
  attempt?: number;
  /** True when pg-boss will not retry this job again. */
  lastAttempt?: boolean;
  /** Test and benchmark hook: called after each stored layer (with where its time went, for analysed layers). */
  onLayerStored?: (info: LayerStoredInfo) => void | Promise<void>;
}

/**
 * Seconds one analysed layer spent in each stage of the pipeline (jobs/bench-pipeline.ts prints them):
 * `read_s` the range read + decode (+ content hash) of its tensor, which ran while the previous layer was analysed,
 * `wait_s` how long the loop then still waited for that read, `lookup_s` the reuse lookup by content hash,
 * `compute_s` the compute thread's round trip (of which `eigen_s` + `fit_s` in the spectral core), `store_s` the
 * layer's transaction, `progress_s` the progress update.
 */
export interface LayerStageTimings {
  read_s: number;
  wait_s: number;
  lookup_s: number;
  compute_s: number;
  eigen_s: number;
  fit_s: number;
  store_s: number;
  progress_s: number;
}

export interface LayerStoredInfo {
  tensor: string;
  layersDone: number;
  layersTotal: number;
  /** Present for layers analysed by this run (not for reused or skipped ones). */
  timings?: LayerStageTimings;
}

export type AnalyzeOutcome = 'done' | 'failed' | 'continued' | 'skipped';

/**
 * Claim token of one handler run: host, pid and a per-run suffix, so two runs in one process (concurrency > 1, or a
 * lease-expired retry of a job this process is still working on) never both believe they hold the analysis.
 */
export function claimToken(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Runs `body` under the analysis' claim (see the module comment). */
export async function runClaimed(
  data: AnalyzeModelData,
  run: AnalyzeRunOptions,
  body: (claimed: Analysis, ctx: RunContext) => Promise<AnalyzeOutcome>,
): Promise<AnalyzeOutcome> {
  const log = rootLogger.child({ repo: data.repoId, revision: data.sha, ref: data.ref, analysisId: data.analysisId });
  const worker = claimToken();
  const { sliceSeconds } = leaseTimings();
  const { heartbeatSeconds, staleAfterSeconds } = claimTimings();
  const claimed = await claimAnalysis({ analysisId: data.analysisId, worker, staleAfterSeconds });
  if (!claimed) {
    const current = await getAnalysis({ analysisId: data.analysisId });
    log.info({ status: current?.status ?? 'missing', holder: current?.worker }, 'analysis not claimable; nothing to do');
    return 'skipped';
  }

  // Heartbeat: keeps the claim fresh; losing it (another worker took over) stops this run after its current layer.
  const lost = new AbortController();
  const beat = setInterval(() => {
    heartbeatAnalysis({ analysisId: data.analysisId, worker })
      .then((owned) => {
        if (!owned && !lost.signal.aborted) {
          log.warn({ worker }, 'claim lost: another worker took the analysis over; stopping');
          lost.abort(new Error('claim lost'));
        }
      })
      .catch((err) => log.warn({ err: (err as Error).message }, 'heartbeat failed'));
  }, heartbeatSeconds * 1000);
  beat.unref();

  const started = Date.now();
  try {
    const outcome = await body(claimed, {
      log,
      deadline: started + sliceSeconds * 1000,
      stop: run.signal ? AbortSignal.any([run.signal, lost.signal]) : lost.signal,
      onLayerStored: run.onLayerStored,
      worker,
    });
    if (outcome === 'continued' && lost.signal.aborted) return 'skipped';
    if (outcome === 'continued') {
      await releaseAnalysis({ analysisId: data.analysisId, worker });
      // If the queue is already closing, the analysis still sits in `queued` and the next discovery re-sends it.
      await sendAnalyzeJob(data, { startAfterSeconds: 1, priority: JOB_PRIORITY.continuation }).catch((err) =>
        log.warn({ err: (err as Error).message }, 'could not re-queue; discovery will'),
      );
      log.info('time slice used or worker stopping: released and re-queued the rest');
    }
    return outcome;
  } catch (err) {
    if (err instanceof ClaimLostError) {
      // Another worker holds the analysis now (this one was paused or cut off past three heartbeats): it carries on
      // from the first missing layer; this run wrote nothing after losing the claim.
      log.warn({ worker }, 'claim lost: another worker took the analysis over; stopped without writing');
      return 'skipped';
    }
    const failure = classifyError(err);
    if (failure.permanent || run.lastAttempt) {
      const reason = failure.permanent ? failure.message : `${failure.message} (gave up after ${(run.attempt ?? 0) + 1} attempts)`;
      try {
        await markAnalysisFailed({ analysisId: data.analysisId, error: reason, errorKind: failure.kind, worker });
      } catch (markErr) {
        if (!(markErr instanceof ClaimLostError)) throw markErr;
        log.warn({ worker, reason }, 'claim lost before recording the failure; the new holder carries on');
        return 'skipped';
      }
      log.error({ kind: failure.kind, reason }, 'analysis failed');
      return 'failed';
    }
    log.warn({ kind: failure.kind, err: failure.message, attempt: run.attempt ?? 0 }, 'transient failure; will retry');
    await releaseAnalysis({ analysisId: data.analysisId, worker }).catch(() => {});
    throw err;
  } finally {
    clearInterval(beat);
  }
}

export interface RunContext {
  log: Logger;
  deadline: number;
  stop: AbortSignal;
  onLayerStored?: AnalyzeRunOptions['onLayerStored'];
  /** This run's claim token: every write is made only while it still holds the claim. */
  worker: string;
}

