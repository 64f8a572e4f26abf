/**
 * The leaderboard's view state in URLs: sort keys, default directions, and query-string serialisation.
 * No zod here: client components import it (the schema that parses the same keys is leaderboard-params.ts).
 */

export const SORT_KEYS = [
  'model', 'family', 'architecture', 'params', 'dtype', 'license', 'gated', 'layers',
  'alpha', 'median_alpha', 'alpha_weighted', 'log_alpha_norm', 'log_spectral_norm', 'mean_D',
  'share_alpha_lt_2', 'share_alpha_gt_6', 'traps', 'revision', 'analysed_at', 'status', 'downloads', 'likes',
] as const;
export type BaseSortKey = (typeof SORT_KEYS)[number];
/** A base column, or `bench:<benchmark name>` for an imported benchmark score. */
export type SortKey = BaseSortKey | `bench:${string}`;

export const STATUSES = ['queued', 'running', 'done', 'failed'] as const;

/**
 * What a row is: `adapter` (a PEFT adapter repo: its analysis is of ΔW = s·B·A), `fine-tune` (a full checkpoint
 * whose card names a base_model other than itself), `model` (anything else). The leaderboard ranks full models
 * (model + fine-tune) unless `type` asks otherwise; `base=<id>` lists a base's fine-tunes and adapters.
 */
export const MODEL_TYPES = ['model', 'fine-tune', 'adapter'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The parsed view (see leaderboardParamsSchema). */
export interface LeaderboardView {
  q?: string;
  family?: string[];
  dtype?: string[];
  status?: string[];
  gated?: boolean;
  minParams?: number;
  maxParams?: number;
  /** Values of MODEL_TYPES. */
  type?: string[];
  base?: string;
  sort: SortKey;
  dir?: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

/** Sort direction a column gets when none is given: names ascending, counts and dates descending, alpha ascending. */
export function defaultDir(sort: SortKey): 'asc' | 'desc' {
  if (sort.startsWith('bench:')) return 'desc';
  return ['params', 'layers', 'analysed_at', 'downloads', 'likes', 'traps', 'share_alpha_lt_2', 'share_alpha_gt_6'].includes(sort)
    ? 'desc'
    : 'asc';
}

/** Serialise params back into a query string (only non-default values), for links, pagination and exports. */
export function leaderboardSearch(params: Partial<LeaderboardView>, overrides: Record<string, string | number | undefined> = {}): string {
  const out = new URLSearchParams();
  if (params.q) out.set('q', params.q);
  if (params.family?.length) out.set('family', params.family.join(','));
  if (params.dtype?.length) out.set('dtype', params.dtype.join(','));
  if (params.status?.length) out.set('status', params.status.join(','));
  if (params.gated !== undefined) out.set('gated', String(params.gated));
  if (params.minParams !== undefined) out.set('minParams', String(params.minParams));
  if (params.maxParams !== undefined) out.set('maxParams', String(params.maxParams));
  if (params.type?.length) out.set('type', params.type.join(','));
  if (params.base) out.set('base', params.base);
  if (params.sort && params.sort !== 'alpha') out.set('sort', params.sort);
  if (params.dir) out.set('dir', params.dir);
  if (params.page && params.page > 1) out.set('page', String(params.page));
  if (params.pageSize && params.pageSize !== DEFAULT_PAGE_SIZE) out.set('pageSize', String(params.pageSize));
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined || v === '') out.delete(k);
    else out.set(k, String(v));
  }
  const s = out.toString();
  return s ? `?${s}` : '';
}
