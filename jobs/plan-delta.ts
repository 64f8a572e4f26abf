import type { AnalysisOptions } from '@/lib/types';
import { getModelInfo, type ModelInfo } from '@/lib/hub';
import { hubLocation } from '@/lib/checkpoint/hub-location';
import { isAdapterLocation } from '@/lib/delta/adapter';
import { createAnalysis, markAnalysisFailed } from '@/db/queries/analyses';
import type { Analysis, AnalysisKind, Revision } from '@/db/schema';
import { classifyError } from './errors';
import { logger } from './logger';
import { JOB_PRIORITY, sendAnalyzeJob } from './queue';

/**
 * Planning of delta and adapter analyses (called by planRevision for each planned revision).
 *
 * - An adapter repo (adapter_config.json at the top of the pinned revision) gets an `adapter` analysis instead of a
 *   model analysis. Looked for only when the repo has no config.json model type or is tagged peft/lora, so a plain
 *   model costs no extra Hub request.
 * - A full checkpoint whose card names a `base_model` gets a `delta` analysis against the base's current revision.
 *   The base is planned too (it is then on the board, and its page lists its fine-tunes); the delta job reads both
 *   checkpoints itself, so it is queued at once.
 * - The base_model chain is followed with a visited set (at most MAX_CHAIN links): a card naming the model itself,
 *   a cycle (a → b → a), a gated or missing base are recorded as a failed delta analysis with the reason (no base
 *   revision), and nothing loops. An adapter whose base cannot be read is still analysed (ΔW needs no base).
 */

export const MAX_CHAIN = 8;

export type BaseResolution =
  | { ok: true; base: ModelInfo }
  | { ok: false; kind: string; reason: string };

type InfoFn = (repoId: string) => Promise<ModelInfo>;

/** Follows base_model links from `repoId` (whose card names `baseId`) and says whether `baseId` can be the base. */
export async function resolveBase(repoId: string, baseId: string, info: InfoFn = (id) => getModelInfo({ repoId: id })): Promise<BaseResolution> {
  if (baseId === repoId) return { ok: false, kind: 'bad_base', reason: `base_model names the model itself (${repoId})` };
  const chain = [repoId];
  let current: string | null = baseId;
  let base: ModelInfo | null = null;
  while (current !== null && chain.length <= MAX_CHAIN) {
    if (chain.includes(current)) {
      return { ok: false, kind: 'bad_base', reason: `base_model cycle: ${[...chain, current].join(' → ')}` };
    }
    let hop: ModelInfo;
    try {
      hop = await info(current);
    } catch (err) {
      if (base !== null) break; // an unreadable ancestor further up does not matter: the base itself is readable
      const c = classifyError(err);
      return { ok: false, kind: c.kind, reason: `base ${baseId}: ${c.message}` };
    }
    base ??= hop;
    chain.push(current);
    current = hop.baseModel;
  }
  return { ok: true, base: base! };
}

/** True when the pinned revision is a PEFT adapter repo (checked only when the metadata suggests it may be one). */
export async function isAdapterRepo(info: ModelInfo): Promise<boolean> {
  const hint = info.family === null || info.tags.some((t) => /^(peft|lora)$/i.test(t));
  if (!hint) return false;
  return isAdapterLocation(hubLocation({ repo: info.id, revision: info.sha }));
}

export interface PlanDerivedParams {
  info: ModelInfo;
  revision: Revision;
  ref: string;
  options: AnalysisOptions;
  kind: Extract<AnalysisKind, 'delta' | 'adapter'>;
  source: 'watchlist' | 'discovery' | 'admin' | 'demo';
  /** Plans the base's own model analysis and returns its revision (planRevision without derived planning). */
  planBase: (baseId: string) => Promise<{ revision: Revision }>;
}

/** Creates (and queues) the delta or adapter analysis of a revision; a base problem is recorded as its failure. */
export async function planDerived(p: PlanDerivedParams): Promise<Analysis | null> {
  const { info, revision, options, kind } = p;
  const baseId = info.baseModel;
  let baseRevisionId: number | null = null;
  let problem: { kind: string; reason: string } | null = null;
  if (baseId) {
    const resolved = await resolveBase(info.id, baseId);
    if (resolved.ok) {
      try {
        baseRevisionId = (await p.planBase(resolved.base.id)).revision.id;
      } catch (err) {
        const c = classifyError(err);
        problem = { kind: c.kind, reason: `base ${baseId}: ${c.message}` };
      }
    } else {
      problem = resolved;
    }
  } else if (kind === 'delta') {
    return null;
  }
  const { analysis } = await createAnalysis({ modelId: info.id, revisionId: revision.id, options, kind, baseRevisionId });
  if (problem && kind === 'delta') {
    if (analysis.status === 'queued') await markAnalysisFailed({ analysisId: analysis.id, error: problem.reason, errorKind: problem.kind });
    logger.warn({ repo: info.id, base: baseId, reason: problem.reason }, 'delta analysis not possible');
    return { ...analysis, status: 'failed', error: problem.reason, errorKind: problem.kind };
  }
  if (problem) logger.warn({ repo: info.id, base: baseId, reason: problem.reason }, 'adapter base not readable: adapter analysed alone');
  if (analysis.status === 'queued' || analysis.status === 'running') {
    await sendAnalyzeJob(
      { repoId: info.id, sha: info.sha, ref: p.ref, analysisId: analysis.id, optionsKey: analysis.optionsKey, kind },
      { priority: JOB_PRIORITY[p.source] },
    );
  }
  return analysis;
}
