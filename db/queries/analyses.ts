import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { AnalysisOptions, ModelStats } from '@/lib/types';
import { getDb } from '../client';
import { analyses, revisions, type Analysis, type AnalysisKind, type AnalysisStatus, type CheckpointRead } from '../schema';

/**
 * Write side of analyses: the ingestion state machine queued -> running -> done | failed.
 *
 * Ownership of a running analysis is a claim (worker id + `updated_at` heartbeat), checked with the database's own
 * clock so that workers on machines with skewed clocks agree. A claim older than `staleAfterSeconds` may be taken
 * over: that is how a SIGKILLed worker's analysis continues elsewhere. Writes a job makes under its claim pass its
 * `worker` token and are refused with ClaimLostError once another worker holds the analysis. Not marked
 * `server-only`: worker processes import it outside Next.
 */

/**
 * Thrown by a write that must be made under a claim (a layer, progress, the final summary) when this worker no
 * longer holds it: another worker took the analysis over while this one was paused or cut off. The caller stops
 * without writing anything more.
 */
export class ClaimLostError extends Error {
  constructor(readonly analysisId: number, readonly worker: string) {
    super(`claim on analysis ${analysisId} lost by ${worker}: another worker took it over`);
    this.name = 'ClaimLostError';
  }
}

/** The condition "still held by `worker`": running under its claim. */
export function heldBy(analysisId: number, worker: string): SQL {
  return and(eq(analyses.id, analysisId), eq(analyses.worker, worker), eq(analyses.status, 'running'))!;
}

/** Stable key of an options object: sorted JSON of the options that are set, or `default`. */
export function optionsKeyOf(options: AnalysisOptions = {}): string {
  const entries = Object.entries(options).filter(([, v]) => v !== undefined && v !== null && v !== false);
  if (entries.length === 0) return 'default';
  return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))));
}

/**
 * The analysis of (revision, options), created if missing. `created` tells whether it is new. A failed analysis
 * is put back in the queue when `requeueFailed` is set (admin re-request); a done one is never reset.
 */
export async function createAnalysis(params: {
  modelId: string;
  revisionId: number;
  options?: AnalysisOptions;
  requeueFailed?: boolean;
  /** `model` (default), `delta` (needs baseRevisionId, or a failure to record) or `adapter`. */
  kind?: AnalysisKind;
  baseRevisionId?: number | null;
}): Promise<{ analysis: Analysis; created: boolean }> {
  const db = await getDb();
  const options = params.options ?? {};
  const optionsKey = optionsKeyOf(options);
  const kind = params.kind ?? 'model';
  const baseRevisionId = params.baseRevisionId ?? null;
  const [inserted] = await db
    .insert(analyses)
    .values({ modelId: params.modelId, revisionId: params.revisionId, options, optionsKey, kind, baseRevisionId })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { analysis: inserted, created: true };
  const where = and(
    eq(analyses.revisionId, params.revisionId),
    eq(analyses.optionsKey, optionsKey),
    eq(analyses.kind, kind),
    baseRevisionId === null ? isNull(analyses.baseRevisionId) : eq(analyses.baseRevisionId, baseRevisionId),
  );
  if (params.requeueFailed) {
    const [requeued] = await db
      .update(analyses)
      .set({ status: 'queued', error: null, errorKind: null, queuedAt: new Date(), updatedAt: new Date() })
      .where(and(where, eq(analyses.status, 'failed')))
      .returning();
    if (requeued) return { analysis: requeued, created: false };
  }
  const [row] = await db.select().from(analyses).where(where);
  return { analysis: row, created: false };
}

export async function getAnalysis(params: { analysisId: number }): Promise<Analysis | null> {
  const db = await getDb();
  const [row] = await db.select().from(analyses).where(eq(analyses.id, params.analysisId));
  return row ?? null;
}

/**
 * Claim an analysis for `worker`. Succeeds when it is queued, already claimed by this worker, or running under a
 * claim whose heartbeat is older than `staleAfterSeconds`. Returns the claimed row, or null when it is done,
 * failed, or held by a live worker.
 */
export async function claimAnalysis(params: {
  analysisId: number;
  worker: string;
  staleAfterSeconds: number;
}): Promise<Analysis | null> {
  const db = await getDb();
  const [row] = await db
    .update(analyses)
    .set({
      status: 'running',
      worker: params.worker,
      attempts: sql`${analyses.attempts} + 1`,
      startedAt: sql`coalesce(${analyses.startedAt}, now())`,
      updatedAt: sql`now()`,
      error: null,
      errorKind: null,
    })
    .where(
      and(
        eq(analyses.id, params.analysisId),
        sql`(${analyses.status} = 'queued' or (${analyses.status} = 'running' and (${analyses.worker} = ${params.worker}
          or ${analyses.worker} is null
          or ${analyses.updatedAt} < now() - make_interval(secs => ${params.staleAfterSeconds}))))`,
      ),
    )
    .returning();
  return row ?? null;
}

/** Refresh the claim. Returns false when another worker has taken the analysis over (stop working on it). */
export async function heartbeatAnalysis(params: { analysisId: number; worker: string }): Promise<boolean> {
  const db = await getDb();
  const rows = await db
    .update(analyses)
    .set({ updatedAt: sql`now()` })
    .where(and(eq(analyses.id, params.analysisId), eq(analyses.worker, params.worker), eq(analyses.status, 'running')))
    .returning({ id: analyses.id });
  return rows.length > 0;
}

/** Give a running analysis back to the queue (time slice used up, or graceful shutdown). */
export async function releaseAnalysis(params: { analysisId: number; worker: string }): Promise<void> {
  const db = await getDb();
  await db
    .update(analyses)
    .set({ status: 'queued', worker: null, updatedAt: sql`now()` })
    .where(and(eq(analyses.id, params.analysisId), eq(analyses.worker, params.worker), eq(analyses.status, 'running')));
}

/**
 * Store progress (and refresh the claim). Only the fields given are written. With `worker`, only while that worker
 * still holds the claim: otherwise nothing is written and {@link ClaimLostError} is thrown.
 */
export async function updateProgress(params: {
  analysisId: number;
  worker?: string;
  layersDone?: number;
  layersTotal?: number;
  bytesRead?: number;
  bytesTotal?: number;
  secondsPerLayer?: number | null;
  timings?: Record<string, number>;
  /** What the analysis reads (format, commit, files), recorded once the checkpoint is open. */
  checkpoint?: CheckpointRead;
}): Promise<void> {
  const db = await getDb();
  const { analysisId, worker, ...fields } = params;
  const set: Record<string, unknown> = { updatedAt: sql`now()` };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v;
  const rows = await db
    .update(analyses)
    .set(set)
    .where(worker === undefined ? eq(analyses.id, analysisId) : heldBy(analysisId, worker))
    .returning({ id: analyses.id });
  if (worker !== undefined && rows.length === 0) throw new ClaimLostError(analysisId, worker);
}

/** Mark done with its summary. With `worker`, only under that worker's claim (else {@link ClaimLostError}). */
export async function markAnalysisDone(params: {
  analysisId: number;
  worker?: string;
  summary: ModelStats | null;
  timings?: Record<string, number>;
}): Promise<void> {
  const db = await getDb();
  const rows = await db
    .update(analyses)
    .set({
      status: 'done',
      summary: params.summary,
      ...(params.timings ? { timings: params.timings } : {}),
      error: null,
      errorKind: null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(params.worker === undefined ? eq(analyses.id, params.analysisId) : heldBy(params.analysisId, params.worker))
    .returning({ id: analyses.id });
  if (params.worker !== undefined && rows.length === 0) throw new ClaimLostError(params.analysisId, params.worker);
}

/** Fail permanently with a reason the UI and API show (`errorKind`: gated, not_found, no_weights, ...). */
export async function markAnalysisFailed(params: {
  analysisId: number;
  error: string;
  errorKind: string;
  /** Only under this worker's claim (else {@link ClaimLostError}). */
  worker?: string;
}): Promise<void> {
  const db = await getDb();
  const rows = await db
    .update(analyses)
    .set({ status: 'failed', error: params.error, errorKind: params.errorKind, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(params.worker === undefined ? eq(analyses.id, params.analysisId) : heldBy(params.analysisId, params.worker))
    .returning({ id: analyses.id });
  if (params.worker !== undefined && rows.length === 0) throw new ClaimLostError(params.analysisId, params.worker);
}

export type AnalysisListItem = Analysis & { sha: string; ref: string; step: number | null };

/** Analyses newest first, optionally by status or model (the admin listing `GET /api/v1/analyses`). */
export async function listAnalyses(params: {
  status?: AnalysisStatus;
  modelId?: string;
  limit?: number;
  offset?: number;
} = {}): Promise<AnalysisListItem[]> {
  const db = await getDb();
  const filters: SQL[] = [];
  if (params.status) filters.push(eq(analyses.status, params.status));
  if (params.modelId) filters.push(eq(analyses.modelId, params.modelId));
  const rows = await db
    .select({ analysis: analyses, sha: revisions.sha, ref: revisions.ref, step: revisions.step })
    .from(analyses)
    .innerJoin(revisions, eq(revisions.id, analyses.revisionId))
    .where(filters.length ? and(...filters) : undefined)
    .orderBy(desc(analyses.queuedAt), desc(analyses.id))
    .limit(Math.min(params.limit ?? 100, 1000))
    .offset(params.offset ?? 0);
  return rows.map((r) => ({ ...r.analysis, sha: r.sha, ref: r.ref, step: r.step }));
}

/** What it takes to queue an analysis' job again (the fields of the analyze-model job's data). */
export interface AnalysisJobRef {
  analysisId: number;
  repoId: string;
  sha: string;
  ref: string;
  optionsKey: string;
  kind: AnalysisKind;
  /** Claim token of the worker that held it. */
  worker: string | null;
  layersDone: number;
  layersTotal: number | null;
  /** Seconds since its last heartbeat, by the database's clock. */
  silentSeconds: number;
}

const jobRefColumns = {
  analysisId: analyses.id,
  repoId: analyses.modelId,
  sha: revisions.sha,
  ref: revisions.ref,
  optionsKey: analyses.optionsKey,
  kind: analyses.kind,
  worker: analyses.worker,
  layersDone: analyses.layersDone,
  layersTotal: analyses.layersTotal,
  silentSeconds: sql<number>`extract(epoch from now() - ${analyses.updatedAt})::float8`,
};

/**
 * Running analyses whose claim has not been refreshed for `staleAfterSeconds` (database clock): their worker died
 * or is paused. Oldest heartbeat first.
 */
export async function listStaleClaims(params: { staleAfterSeconds: number; limit?: number }): Promise<AnalysisJobRef[]> {
  const db = await getDb();
  const rows = await db
    .select(jobRefColumns)
    .from(analyses)
    .innerJoin(revisions, eq(revisions.id, analyses.revisionId))
    .where(
      and(
        eq(analyses.status, 'running'),
        sql`${analyses.updatedAt} < now() - make_interval(secs => ${params.staleAfterSeconds})`,
      ),
    )
    .orderBy(analyses.updatedAt)
    .limit(params.limit ?? 100);
  return rows.map((r) => ({ ...r, silentSeconds: Number(r.silentSeconds) }));
}

/**
 * Give every running claim back to the queue at once, whoever holds it; returns what was released. Only for the
 * embedded database at start-up, before this process runs any job: the folder lock (db/lock.ts) makes this process
 * the only owner, so every claim found then belongs to an earlier process that is gone.
 */
export async function releaseAllClaims(): Promise<AnalysisJobRef[]> {
  const db = await getDb();
  const stale = await db
    .select(jobRefColumns)
    .from(analyses)
    .innerJoin(revisions, eq(revisions.id, analyses.revisionId))
    .where(eq(analyses.status, 'running'));
  if (stale.length === 0) return [];
  await db
    .update(analyses)
    .set({ status: 'queued', worker: null, updatedAt: sql`now()` })
    .where(and(eq(analyses.status, 'running'), inArray(analyses.id, stale.map((r) => r.analysisId))));
  return stale.map((r) => ({ ...r, silentSeconds: Number(r.silentSeconds) }));
}

/** A revision's repo and commit (a delta analysis' base), or null when it is gone. */
export async function getRevisionRef(params: { revisionId: number }): Promise<{ modelId: string; sha: string; ref: string } | null> {
  const db = await getDb();
  const [row] = await db
    .select({ modelId: revisions.modelId, sha: revisions.sha, ref: revisions.ref })
    .from(revisions)
    .where(eq(revisions.id, params.revisionId));
  return row ?? null;
}
