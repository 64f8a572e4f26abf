import { z } from 'zod';

/**
 * The leaderboard's view state: filters, sort and page. One schema parses the page's URL search params and the
 * REST API's query string, so a view and its export always mean the same thing. Plain module (no server-only):
 * client components build URLs from the same keys.
 */

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MODEL_TYPES, SORT_KEYS, STATUSES, type SortKey } from './leaderboard-url';

export * from './leaderboard-url';

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
  /** model | fine-tune | adapter (default: model and fine-tune, i.e. full models; with `base`: all three). */
  type: list(z.enum(MODEL_TYPES)),
  /** Only the fine-tunes and adapters of this base (`owner/name`). */
  base: z.preprocess(single, z.string().trim().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name').max(200).optional()),
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

