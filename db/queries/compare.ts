import 'server-only';
import { asc, eq } from 'drizzle-orm';
import { layers } from '@/db/schema';
import type { ModelStats } from '@/lib/types';
import { alignLayers, roleGroup, type AlignInputLayer, type AlignedRow, type RoleGroup } from './align-layers';
import { getModelDetail, type ModelDetail } from './model-detail';
import { readThrough } from './read-cache';
import { readDb } from './read-db';

/** Two models side by side: their current analyses, every layer's alpha by depth, aligned rows and summary deltas. */

export interface ComparePoint {
  name: string;
  role: string;
  group: RoleGroup;
  block_index: number | null;
  relative_depth: number | null;
  alpha: number;
  D: number | null;
}

export interface CompareSide {
  detail: ModelDetail;
  points: ComparePoint[];
  /** What the alignment needs beyond the points: the tensor key (an expert's projection) and the expert index. */
  align: AlignInputLayer[];
}

export const SUMMARY_DELTA_KEYS = [
  'alpha', 'median_alpha', 'alpha_weighted', 'log_alpha_norm', 'log_spectral_norm', 'log_norm', 'stable_rank',
  'mean_D', 'share_alpha_lt_2', 'share_alpha_gt_6', 'layers_analyzed',
] as const satisfies readonly (keyof ModelStats)[];

export interface Comparison {
  a: CompareSide;
  b: CompareSide;
  rows: AlignedRow[];
  summaryDeltas: { key: (typeof SUMMARY_DELTA_KEYS)[number]; a: number | null; b: number | null; delta: number | null }[];
}

async function loadSide(id: string): Promise<CompareSide | null> {
  const detail = await getModelDetail({ id });
  if (!detail) return null;
  if (!detail.analysis) return { detail, points: [], align: [] };
  const db = await readDb();
  const rows = await db
    .select({
      name: layers.name, role: layers.role, status: layers.status, alpha: layers.alpha, D: layers.D,
      block_index: layers.blockIndex, relative_depth: layers.relativeDepth, tensor: layers.tensor, expert: layers.expert,
    })
    .from(layers)
    .where(eq(layers.analysisId, detail.analysis.id))
    .orderBy(asc(layers.ordinal));
  const fitted = rows.filter((r) => r.status === 'success' && r.alpha != null && r.alpha > 0);
  const points = fitted.map((r) => ({ name: r.name, role: r.role, group: roleGroup(r.role), block_index: r.block_index, relative_depth: r.relative_depth, alpha: r.alpha!, D: r.D }));
  const align = fitted.map((r) => ({
    name: r.name, role: r.role, status: 'success', alpha: r.alpha, block_index: r.block_index, relative_depth: r.relative_depth, tensor: r.tensor, expert: r.expert,
  }));
  return { detail, points, align };
}

/** Null side = unknown model id. */
export function getComparison({ a, b }: { a: string; b: string }): Promise<{ comparison: Comparison | null; missing: string[] }> {
  return readThrough({
    key: `compare:${a}|${b}`,
    tags: ['models', 'layers'],
    load: async () => {
      const [sa, sb] = await Promise.all([loadSide(a), loadSide(b)]);
      const missing = [...(sa ? [] : [a]), ...(sb ? [] : [b])];
      if (!sa || !sb) return { comparison: null, missing };
      const rows = alignLayers(sa.align, sb.align);
      const sumA = sa.detail.analysis?.summary ?? null;
      const sumB = sb.detail.analysis?.summary ?? null;
      const summaryDeltas = SUMMARY_DELTA_KEYS.map((key) => {
        const va = (sumA?.[key] as number | undefined) ?? null;
        const vb = (sumB?.[key] as number | undefined) ?? null;
        return { key, a: va, b: vb, delta: va != null && vb != null ? vb - va : null };
      });
      return { comparison: { a: sa, b: sb, rows, summaryDeltas }, missing };
    },
  });
}
