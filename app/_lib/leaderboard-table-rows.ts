import type { LeaderboardRow } from '@/db/queries/leaderboard';
import { alphaClass, fmt, pct } from '@/app/_components/format';

/**
 * The leaderboard page hands its client table (LeaderboardTable) one row per model: only the fields the table shows,
 * and each number as the shortest decimal the table shows exactly as it shows the stored value (same text, same
 * alpha colour), so the page's component payload (serialised, sent, and parsed again for the HTML) is about half
 * of the full rows'. Kept per snapshot row object: a page of 50 rows is 50 lookups once warm.
 */

/** The summary fields the table shows. */
export const TABLE_SUMMARY_FIELDS = [
  'layers_analyzed', 'alpha', 'median_alpha', 'alpha_weighted', 'log_alpha_norm', 'log_spectral_norm', 'mean_D',
  'share_alpha_lt_2', 'share_alpha_gt_6', 'correlation_traps',
] as const;

/**
 * A leaderboard row as the table receives it: the fields it shows, numbers as short as shows them alike
 * (tableRowOf below), so the page's component payload carries no more than the table needs.
 */
export type LeaderboardTableRow = Pick<
  LeaderboardRow,
  'id' | 'type' | 'gated' | 'synthetic' | 'status' | 'progress' | 'error' | 'family' | 'architecture' | 'parameterCount' | 'dtype' | 'license' | 'analysedAt' | 'benchmarks'
> & {
  revision: { sha: string; ref: string } | null;
  summary: Partial<Record<(typeof TABLE_SUMMARY_FIELDS)[number], number | null>> | null;
};

type Shown = (v: number) => string;

const SHOWN: Record<(typeof TABLE_SUMMARY_FIELDS)[number], Shown | null> = {
  layers_analyzed: null,
  correlation_traps: null,
  alpha: (v) => `${fmt(v)} ${alphaClass(v)}`,
  median_alpha: (v) => `${fmt(v)} ${alphaClass(v)}`,
  alpha_weighted: fmt,
  log_alpha_norm: fmt,
  log_spectral_norm: fmt,
  mean_D: fmt,
  share_alpha_lt_2: pct,
  share_alpha_gt_6: pct,
};

const benchShown: Shown = (v) => fmt(v, 1);

/** The shortest `v.toPrecision(k)` that `shown` displays as it displays `v` (v itself when none is shorter). */
export function shortestShownAlike(v: number, shown: Shown): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return v;
  const want = shown(v);
  for (let k = 3; k < 17; k++) {
    const c = Number(v.toPrecision(k));
    if (shown(c) === want) return c;
  }
  return v;
}

const compact = new WeakMap<LeaderboardRow, LeaderboardTableRow>();

export function tableRowOf(r: LeaderboardRow): LeaderboardTableRow {
  let t = compact.get(r);
  if (t) return t;
  let summary: LeaderboardTableRow['summary'] = null;
  if (r.summary) {
    summary = {};
    const src = r.summary as unknown as Record<string, unknown>;
    for (const f of TABLE_SUMMARY_FIELDS) {
      const v = src[f];
      if (v === undefined) continue;
      const shown = SHOWN[f];
      summary[f] = typeof v === 'number' && shown ? shortestShownAlike(v, shown) : (v as number | null);
    }
  }
  const benchmarks: Record<string, number> = {};
  for (const [b, v] of Object.entries(r.benchmarks)) benchmarks[b] = shortestShownAlike(v, benchShown);
  t = {
    id: r.id, type: r.type, gated: r.gated, synthetic: r.synthetic, status: r.status, progress: r.progress, error: r.error,
    family: r.family, architecture: r.architecture, parameterCount: r.parameterCount, dtype: r.dtype, license: r.license,
    analysedAt: r.analysedAt, benchmarks, revision: r.revision ? { sha: r.revision.sha, ref: r.revision.ref } : null, summary,
  };
  compact.set(r, t);
  return t;
}
