/**
 * Discovery: text-generation models with safetensors weights from the Hub's model listing (the client follows the
 * `Link` header across pages), most downloaded / trending / liked first, optionally under a parameter cap.
 */
import { listModels } from '@huggingface/hub';
import { toHubError } from './errors';
import { resolveHub, type HubCallParams } from './hub-params';

export type DiscoverySort = 'downloads' | 'trendingScore' | 'likes' | 'lastModified';

export interface DiscoveryCandidate {
  repoId: string;
  gated: false | 'auto' | 'manual';
  downloads: number;
  likes: number;
  /** ISO time of the last commit, when the Hub reports it. */
  updatedAt: string | null;
  /** Total safetensors parameters, when the Hub knows them. */
  parameterCount?: number;
}

export interface DiscoveryParams extends HubCallParams {
  /** Substring of the repo id. */
  search?: string;
  author?: string;
  /** Pipeline tag; default text-generation. */
  task?: string;
  /** Required tags; default ['safetensors']. */
  tags?: string[];
  sort?: DiscoverySort;
  /** How many listing entries to read (before the parameter cap filters them). Default 50. */
  limit?: number;
  /** Skip models with more parameters than this (models without a count are kept). */
  maxParameters?: number;
}

/** Discovery candidates in the Hub's sort order. Throws HubError (network, rate_limited, ...) on failure. */
export async function* listDiscoveryCandidates(params: DiscoveryParams = {}): AsyncGenerator<DiscoveryCandidate> {
  const { client } = resolveHub(params, {});
  const listing = listModels({
    ...client,
    search: {
      query: params.search,
      owner: params.author,
      task: (params.task ?? 'text-generation') as never,
      tags: params.tags ?? ['safetensors'],
    },
    sort: params.sort ?? 'downloads',
    limit: params.limit ?? 50,
    additionalFields: ['safetensors'],
  });
  try {
    for await (const model of listing) {
      const total = model.safetensors?.total;
      if (params.maxParameters !== undefined && typeof total === 'number' && total > params.maxParameters) continue;
      const updated = model.updatedAt instanceof Date && !Number.isNaN(model.updatedAt.getTime()) ? model.updatedAt.toISOString() : null;
      yield {
        repoId: model.name,
        gated: model.gated ?? false,
        downloads: model.downloads ?? 0,
        likes: model.likes ?? 0,
        updatedAt: updated,
        ...(typeof total === 'number' ? { parameterCount: total } : {}),
      };
    }
  } catch (err) {
    throw toHubError(err, {});
  }
}

/** Repo ids of the discovery candidates (the listing drained into an array). */
export async function discoverModels(params: DiscoveryParams = {}): Promise<string[]> {
  const ids: string[] = [];
  for await (const candidate of listDiscoveryCandidates(params)) ids.push(candidate.repoId);
  return ids;
}
