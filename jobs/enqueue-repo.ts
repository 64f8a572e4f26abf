import type { AnalysisOptions } from '@/lib/types';
import { addToWatchlist } from '@/db/queries/watchlist';
import { planRevision } from './plan';
import { parseRepoSpec } from './watchlist';

/**
 * Admin enqueue (`POST /api/v1/analyses`, `npm run enqueue`): add the repo (and revision) to the stored watchlist,
 * so later discovery runs keep following it, and queue its analysis now. A failed analysis of the same sha is
 * re-queued. Hub errors propagate with their kind (not_found, gated, network) for the caller to map to a status.
 */
export interface EnqueueResult {
  repoId: string;
  ref: string;
  sha: string;
  analysisId: number;
  status: string;
  created: boolean;
  jobId: string | null;
}

export async function enqueueRepo(params: {
  repoId: string;
  revision?: string;
  options?: AnalysisOptions;
}): Promise<EnqueueResult> {
  const { repoId } = parseRepoSpec(params.repoId);
  const ref = params.revision?.trim() || 'main';
  await addToWatchlist({ repoId, revisions: ref === 'main' ? [] : [ref] });
  const planned = await planRevision({ repoId, ref, source: 'admin', options: params.options, requeueFailed: true });
  return {
    repoId: planned.repoId,
    ref: planned.ref,
    sha: planned.sha,
    analysisId: planned.analysis.id,
    status: planned.analysis.status,
    created: planned.created,
    jobId: planned.jobId,
  };
}
