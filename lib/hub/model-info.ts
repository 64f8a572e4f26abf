/**
 * Model metadata at one revision, pinned to the commit sha the Hub resolved it to: analyses record that sha so
 * they are reproducible, and every later file read uses it instead of the moving branch name.
 */
import { modelInfo } from '@huggingface/hub';
import { HubError, toHubError } from './errors';
import { parseRepoId, resolveHub, type HubCallParams } from './hub-params';

export interface ModelInfo {
  /** `owner/name` (same as `id`). */
  repoId: string;
  id: string;
  owner: string;
  name: string;
  /** The revision asked for (branch, tag or sha). */
  revision: string;
  /** Commit sha the revision resolved to: pass it to every file read. */
  sha: string;
  /** config.model_type, e.g. llama, falcon, gpt2. */
  family: string | null;
  /** config.architectures[0], e.g. LlamaForCausalLM. */
  architecture: string | null;
  /** safetensors.total (all dtypes). */
  parameterCount: number | null;
  /** The dtype holding most parameters. */
  dtype: string | null;
  license: string | null;
  gated: false | 'auto' | 'manual';
  private: boolean;
  downloads: number;
  likes: number;
  /** From the model card's `base_model` (first when a list): set for fine-tunes, adapters, quantizations. */
  baseModel: string | null;
  tags: string[];
  pipelineTag: string | null;
  /** ISO time of the last commit. */
  lastModified: string | null;
}

export interface ModelInfoParams extends HubCallParams {
  /** `owner/name`. */
  repo?: string;
  /** Alias of `repo`. */
  repoId?: string;
  /** Branch, tag or sha; default `main`. */
  revision?: string;
}

function firstString(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (Array.isArray(value)) return value.find((v): v is string => typeof v === 'string' && v.trim() !== '') ?? null;
  return null;
}

/** The dtype with the most parameters (ties: the first listed). */
export function dominantDtype(parameters: Record<string, number> | undefined): string | null {
  let best: string | null = null;
  for (const [dtype, count] of Object.entries(parameters ?? {})) {
    if (best === null || count > (parameters![best] ?? 0)) best = dtype;
  }
  return best;
}

/** Model info at `revision`. Throws HubError: not_found (repo or revision), gated, network, ... */
export async function getModelInfo(params: ModelInfoParams): Promise<ModelInfo> {
  const repo = params.repo ?? params.repoId ?? '';
  const { owner, name } = parseRepoId(repo);
  const revision = params.revision ?? 'main';
  const { client } = resolveHub(params, { repo, revision });
  let info;
  try {
    info = await modelInfo({
      ...client,
      name: repo,
      revision,
      additionalFields: ['safetensors', 'config', 'sha', 'tags', 'cardData'],
    });
  } catch (err) {
    throw toHubError(err, { repo, revision, hadToken: !!client.accessToken });
  }
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
    throw new HubError('bad_response', `unexpected Hub response (${repo}@${revision}: model info has no commit sha)`);
  }
  const config = (info.config ?? {}) as { model_type?: unknown; architectures?: unknown };
  const card = (info.cardData ?? {}) as { license?: unknown; base_model?: unknown };
  const tags = Array.isArray(info.tags) ? info.tags.filter((t): t is string => typeof t === 'string') : [];
  const licenseTag = tags.find((t) => t.startsWith('license:'))?.slice('license:'.length) ?? null;
  const total = info.safetensors?.total;
  const updated = info.updatedAt instanceof Date && !Number.isNaN(info.updatedAt.getTime()) ? info.updatedAt.toISOString() : null;
  return {
    repoId: info.name ?? repo,
    id: info.name ?? repo,
    owner,
    name,
    revision,
    sha: info.sha,
    family: firstString(config.model_type),
    architecture: firstString(config.architectures),
    parameterCount: typeof total === 'number' ? total : null,
    dtype: dominantDtype(info.safetensors?.parameters as Record<string, number> | undefined),
    license: firstString(card.license) ?? licenseTag,
    gated: info.gated ?? false,
    private: info.private ?? false,
    downloads: info.downloads ?? 0,
    likes: info.likes ?? 0,
    baseModel: firstString(card.base_model),
    tags,
    pipelineTag: info.task ?? null,
    lastModified: updated,
  };
}
