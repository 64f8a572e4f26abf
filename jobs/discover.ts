import { discoverModels } from '@/lib/hub';
import { jobsConfig } from './config';
import { classifyError } from './errors';
import { setHubStatus } from './hub-status';
import { logger } from './logger';
import { planRevision } from './plan';
import { loadWatchlist, refsOf } from './watchlist';

/**
 * The `discover` job: plan every watched (repo, ref), then the Hub's discovery query (text-generation models with
 * safetensors, by downloads or trending, under the parameter cap). Each repo is pinned to its current sha; a new
 * sha is queued for analysis, old results stay. One repo failing (gone, gated) does not stop the others; if the
 * Hub cannot be reached at all, the run records that for the web and throws so pg-boss retries later.
 */
export interface DiscoverResult {
  planned: number;
  queued: number;
  failed: Array<{ repoId: string; ref: string; reason: string }>;
}

export async function discover(params: { signal?: AbortSignal } = {}): Promise<DiscoverResult> {
  const cfg = jobsConfig();
  const result: DiscoverResult = { planned: 0, queued: 0, failed: [] };
  let networkFailures = 0;
  let attempts = 0;

  const plan = async (repoId: string, ref: string, source: 'watchlist' | 'discovery') => {
    if (params.signal?.aborted) return;
    attempts++;
    try {
      const planned = await planRevision({ repoId, ref, source });
      result.planned++;
      if (planned.created) result.queued++;
    } catch (err) {
      const failure = classifyError(err);
      if (!failure.permanent) networkFailures++;
      result.failed.push({ repoId, ref, reason: failure.message });
      logger.warn({ repo: repoId, ref, kind: failure.kind, reason: failure.message }, 'could not plan repo');
    }
  };

  const watchlist = await loadWatchlist();
  const watched = new Set(watchlist.map((w) => w.repoId));
  for (const item of watchlist) for (const ref of refsOf(item)) await plan(item.repoId, ref, 'watchlist');

  if (cfg.DISCOVERY_LIMIT > 0 && !params.signal?.aborted) {
    try {
      const found = await discoverModels({
        limit: cfg.DISCOVERY_LIMIT,
        sort: cfg.DISCOVERY_SORT,
        maxParameters: cfg.DISCOVERY_MAX_PARAMS,
      });
      for (const repoId of found) if (!watched.has(repoId)) await plan(repoId, 'main', 'discovery');
    } catch (err) {
      const failure = classifyError(err);
      networkFailures++;
      attempts++;
      logger.warn({ reason: failure.message }, 'discovery query failed');
    }
  }

  if (attempts > 0 && networkFailures === attempts) {
    const status = setHubStatus(false, result.failed[0]?.reason);
    logger.warn(status.message!);
    throw new Error(status.message!);
  }
  setHubStatus(true);
  logger.info({ planned: result.planned, queued: result.queued, failed: result.failed.length }, 'discovery done');
  return result;
}
