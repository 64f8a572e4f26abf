import type { LeaderboardRow } from '@/db/queries/leaderboard';
import type { MODEL_FIELDS } from './schema';

type Field = (typeof MODEL_FIELDS)[number];

/** A leaderboard row as the API's model list item; with `fields`, only those (and `id`). */
export function toModelItem(r: LeaderboardRow, fields?: readonly Field[]): Record<string, unknown> {
  const full: Record<Field, unknown> = {
    id: r.id, owner: r.owner, name: r.name, family: r.family, architecture: r.architecture,
    parameterCount: r.parameterCount, dtype: r.dtype, license: r.license, gated: r.gated, downloads: r.downloads,
    likes: r.likes, baseModel: r.baseModel, type: r.type, synthetic: r.synthetic, revision: r.revision?.sha ?? null,
    ref: r.revision?.ref ?? null, step: r.revision?.step ?? null, analysedAt: r.analysedAt, status: r.status,
    progress: r.progress, error: r.error, summary: r.summary, benchmarks: r.benchmarks,
  };
  if (!fields?.length) return full;
  const out: Record<string, unknown> = { id: r.id };
  for (const f of fields) out[f] = full[f];
  return out;
}

const SUMMARY_COLUMNS = [
  'layers_analyzed', 'alpha', 'median_alpha', 'alpha_weighted', 'log_alpha_norm', 'log_spectral_norm', 'log_norm',
  'stable_rank', 'mean_D', 'share_alpha_lt_2', 'share_alpha_gt_6', 'correlation_traps',
] as const;

function cell(v: unknown): string {
  if (v == null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV of leaderboard rows: model metadata, summary columns, then one column per benchmark. */
export function toCsv(rows: readonly LeaderboardRow[]): string {
  const benches = [...new Set(rows.flatMap((r) => Object.keys(r.benchmarks)))].sort();
  const header = [
    'id', 'family', 'architecture', 'parameters', 'dtype', 'license', 'gated', ...SUMMARY_COLUMNS,
    'revision', 'ref', 'analysed_at', 'status', 'layers_done', 'layers_total', ...benches.map((b) => `bench:${b}`),
  ];
  const lines = [header.map(cell).join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.id, r.family, r.architecture, r.parameterCount, r.dtype, r.license, r.gated,
        ...SUMMARY_COLUMNS.map((c) => (r.summary as Record<string, unknown> | null)?.[c]),
        r.revision?.sha, r.revision?.ref, r.analysedAt, r.status, r.progress?.layersDone, r.progress?.layersTotal,
        ...benches.map((b) => r.benchmarks[b]),
      ].map(cell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
