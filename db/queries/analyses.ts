import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { AnalysisOptions, ModelStats } from '@/lib/types';
import { getDb } from '../client';
import { analyses, revisions, type Analysis, type AnalysisStatus } from '../schema';

/**
 * Write side of analyses: the ingestion state machine queued -> running -> done | failed.
 *
 * Ownership of a running analysis is a claim (worker id + `updated_at` heartbeat), checked with the database's own
 * clock so that workers on machines with skewed clocks agree. A claim older than `staleAfterSeconds` may be taken
 * over: that is how a SIGKILLed worker's analysis continues elsewhere. Not marked `server-only`: worker processes
 * import it outside Next.
 */

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
}): Promise<{ analysis: Analysis; created: boolean }> {
  const db = await getDb();
  const options = params.options ?? {};
  const optionsKey = optionsKeyOf(options);
  const [inserted] = await db
    .insert(analyses)
    .values({ modelId: params.modelId, revisionId: params.revisionId, options, optionsKey })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { analysis: inserted, created: true };
  const where = and(eq(analyses.revisionId, params.revisionId), eq(analyses.optionsKey, optionsKey));
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

/** Store progress (and refresh the claim). Only the fields given are written. */
export async function updateProgress(params: {
  analysisId: number;
  layersDone?: number;
  layersTotal?: number;
  bytesRead?: number;
  bytesTotal?: number;
  secondsPerLayer?: number | null;
  timings?: Record<string, number>;
}): Promise<void> {
  const db = await getDb();
  const { analysisId, ...fields } = params;
  const set: Record<string, unknown> = { updatedAt: sql`now()` };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v;
  await db.update(analyses).set(set).where(eq(analyses.id, analysisId));
}

export async function markAnalysisDone(params: {
  analysisId: number;
  summary: ModelStats | null;
  timings?: Record<string, number>;
}): Promise<void> {
  const db = await getDb();
  await db
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
    .where(eq(analyses.id, params.analysisId));
}

/** Fail permanently with a reason the UI and API show (`errorKind`: gated, not_found, no_safetensors, ...). */
export async function markAnalysisFailed(params: { analysisId: number; error: string; errorKind: string }): Promise<void> {
  const db = await getDb();
  await db
    .update(analyses)
    .set({ status: 'failed', error: params.error, errorKind: params.errorKind, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(analyses.id, params.analysisId));
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
