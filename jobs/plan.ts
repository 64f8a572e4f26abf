import type { AnalysisOptions } from '@/lib/types';
import { getModelInfo } from '@/lib/hub';
import { createAnalysis } from '@/db/queries/analyses';
import { ensureRevision, upsertModel } from '@/db/queries/models-write';
import type { Analysis, Revision } from '@/db/schema';
import { logger } from './logger';
import { boardAnalysisOptions } from './config';
import { JOB_PRIORITY, sendAnalyzeJob } from './queue';
import { isAdapterRepo, planDerived } from './plan-delta';

/**
 * Planning one (repo, ref): pin the ref to a commit sha with modelInfo, refresh the model's Hub metadata, record
 * the revision and make sure its analysis exists and is queued. A ref that moved to a new sha gets a new revision
 * and a new analysis; earlier ones stay as history. Shared by discovery, the enqueue CLI and the admin API.
 */

/** Failure kinds no retry can change (see jobs/errors.ts). */
const PERMANENT_FAILURES = new Set([
  'gated', 'not_found', 'no_weights', 'unsupported', 'too_large', 'bad_response', 'corrupt_checkpoint',
  'unsupported_dtype', 'no_layers',
]);

export interface PlannedAnalysis {
  repoId: string;
  ref: string;
  sha: string;
  revision: Revision;
  analysis: Analysis;
  /** True when this call created the analysis (a sha not seen before, or new options). */
  created: boolean;
  /** pg-boss job id, null when an identical job was already queued or nothing needed queueing. */
  jobId: string | null;
}

export async function planRevision(params: {
  repoId: string;
  ref?: string;
  source?: 'watchlist' | 'discovery' | 'admin' | 'demo';
  options?: AnalysisOptions;
  /** Put a failed analysis of this sha back in the queue (admin re-request). */
  requeueFailed?: boolean;
  /** Also plan the delta analysis against the card's base_model (default true; false when planning a base). */
  withDerived?: boolean;
}): Promise<PlannedAnalysis> {
  const ref = params.ref ?? 'main';
  const info = await getModelInfo({ repoId: params.repoId, revision: ref });
  const model = await upsertModel({
    id: info.id,
    family: info.family ?? undefined,
    architecture: info.architecture ?? undefined,
    parameterCount: info.parameterCount ?? undefined,
    dtype: info.dtype ?? undefined,
    license: info.license ?? undefined,
    gated: info.gated ? String(info.gated) : null,
    downloads: info.downloads ?? undefined,
    likes: info.likes ?? undefined,
    baseModel: info.baseModel ?? undefined,
    tags: info.tags ?? undefined,
    source: params.source ?? 'watchlist',
    synthetic: info.id.startsWith('demo/'),
  });
  const revision = await ensureRevision({
    modelId: model.id,
    sha: info.sha,
    ref,
    committedAt: info.lastModified ? new Date(info.lastModified) : null,
  });
  const options = params.options ?? boardAnalysisOptions();
  const source = params.source ?? 'watchlist';
  const planBase = (baseId: string) => planRevision({ repoId: baseId, source, options, withDerived: false });
  // A PEFT adapter repo's analysis is its adapter analysis (jobs/plan-delta.ts); it has no model analysis.
  if (await isAdapterRepo(info).catch(() => false)) {
    const adapter = await planDerived({ info, revision, ref, options, kind: 'adapter', source, planBase });
    return { repoId: model.id, ref, sha: info.sha, revision, analysis: adapter!, created: false, jobId: null };
  }
  let { analysis, created } = await createAnalysis({
    modelId: model.id,
    revisionId: revision.id,
    options,
    requeueFailed: params.requeueFailed,
  });
  if (analysis.status === 'failed' && !PERMANENT_FAILURES.has(analysis.errorKind ?? '')) {
    // It gave up on a failure that may have passed (Hub or network down for longer than the job's retries):
    // each planning run tries it again. Permanent failures (gated, missing, corrupt) stay failed until re-requested.
    ({ analysis } = await createAnalysis({ modelId: model.id, revisionId: revision.id, options, requeueFailed: true }));
  }
  let jobId: string | null = null;
  if (analysis.status === 'queued' || analysis.status === 'running') {
    // Re-sending is safe: an identical queued job collapses (singletonKey), and a running analysis is claimed by one
    // worker only. It also revives analyses whose jobs were lost (a queue wiped while rows stayed).
    jobId = await sendAnalyzeJob(
      { repoId: model.id, sha: info.sha, ref, analysisId: analysis.id, optionsKey: analysis.optionsKey },
      { priority: JOB_PRIORITY[params.source ?? 'watchlist'] },
    );
  }
  if (created) logger.info({ repo: model.id, ref, revision: info.sha, analysisId: analysis.id }, 'new revision queued');
  if (params.withDerived !== false && info.baseModel) {
    // Best effort: a base problem is recorded on the delta analysis; nothing here stops the model's own analysis.
    await planDerived({ info, revision, ref, options, kind: 'delta', source, planBase }).catch((err) =>
      logger.warn({ repo: model.id, base: info.baseModel, err: (err as Error).message }, 'could not plan the delta analysis'),
    );
  }
  return { repoId: model.id, ref, sha: info.sha, revision, analysis, created, jobId };
}
