import { z } from 'zod';

/**
 * The leaderboard's view state: filters, sort and page. One schema parses the page's URL search params and the
 * REST API's query string, so a view and its export always mean the same thing. Plain module (no server-only):
 * client components build URLs from the same keys.
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

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `7B`, `1.5b`, `350M`, `125000000` → a parameter count. */
export function parseParamCount(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmbt]?)\s*$/i.exec(text);
  if (!m) return null;
  const scale = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'b' | 't'];
  return Math.round(Number(m[1]) * scale);
}

const list = (item: z.ZodType<string>) =>
  z.preprocess((v) => {
    if (v == null || v === '') return undefined;
    const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(','));
    const clean = parts.map((s) => s.trim()).filter(Boolean);
    return clean.length ? clean : undefined;
  }, z.array(item).max(50).optional());

const single = (v: unknown) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v);

const paramCount = z.preprocess(
  single,
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const n = parseParamCount(s);
      if (n === null) {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a parameter count (e.g. 125M, 1.5B, 7000000000)` });
        return z.NEVER;
      }
      return n;
    }),
);

export const leaderboardParamsSchema = z.object({
  q: z.preprocess(single, z.string().trim().max(200).optional()),
  family: list(z.string().max(100)),
  dtype: list(z.string().max(40)),
  status: list(z.enum(STATUSES)),
  gated: z.preprocess(single, z.enum(['true', 'false']).optional()).transform((v) => (v === undefined ? undefined : v === 'true')),
  minParams: paramCount,
  maxParams: paramCount,
  sort: z
    .preprocess(single, z.string().optional())
    .refine((s) => s === undefined || (SORT_KEYS as readonly string[]).includes(s) || /^bench:.{1,100}$/.test(s), {
      message: `must be one of ${SORT_KEYS.join(', ')} or bench:<benchmark>`,
    })
    .transform((s) => (s ?? 'alpha') as SortKey),
  dir: z.preprocess(single, z.enum(['asc', 'desc']).optional()),
  page: z.preprocess(single, z.coerce.number().int().min(1).max(1_000_000).default(1)),
  pageSize: z.preprocess(single, z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE)),
});

export type LeaderboardParams = z.output<typeof leaderboardParamsSchema> & { dir?: 'asc' | 'desc' };

/** Sort direction a column gets when none is given: names ascending, counts and dates descending, alpha ascending. */
export function defaultDir(sort: SortKey): 'asc' | 'desc' {
  if (sort.startsWith('bench:')) return 'desc';
  return ['params', 'layers', 'analysed_at', 'downloads', 'likes', 'traps', 'share_alpha_lt_2', 'share_alpha_gt_6'].includes(sort)
    ? 'desc'
    : 'asc';
}

/** Serialise params back into a query string (only non-default values), for links, pagination and exports. */
export function leaderboardSearch(params: Partial<LeaderboardParams>, overrides: Record<string, string | number | undefined> = {}): string {
  const out = new URLSearchParams();
  if (params.q) out.set('q', params.q);
  if (params.family?.length) out.set('family', params.family.join(','));
  if (params.dtype?.length) out.set('dtype', params.dtype.join(','));
  if (params.status?.length) out.set('status', params.status.join(','));
  if (params.gated !== undefined) out.set('gated', String(params.gated));
  if (params.minParams !== undefined) out.set('minParams', String(params.minParams));
  if (params.maxParams !== undefined) out.set('maxParams', String(params.maxParams));
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
