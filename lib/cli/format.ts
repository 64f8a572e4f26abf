/**
 * Output of `npm run analyze`: the JSON document and the human-readable table.
 *
 * JSON shape: `{"source", "layers": [{"tensor", "name", "status", "skip_reason"?, <WeightWatcher's 32 default
 * columns under their names>, <option columns when enabled>, "phase", "shape", "dtype"}], "summary": {<get_summary
 * columns + extras>}}`. Numbers are printed at full float64 precision (shortest round-trip form). Non-finite numbers
 * (NaN — e.g. TPL's sigma —, ±Infinity — e.g. log_alpha_norm of a failed fit over a zero eigenvalue) are written as
 * JSON `null`, so the output is always valid JSON; a null therefore means "not a finite number" (or, for xmax,
 * WeightWatcher's None).
 */
import type { DeltaLayer, DeltaReport } from '@/lib/delta/run-delta';
import type { ModelStats } from '@/lib/types';
import type { AnalysisReport, CliLayer } from './run-analysis';

/** A checkpoint's report, or a delta / adapter report (extra row statuses and columns, `base` / `adapter` on top). */
type Report = AnalysisReport | DeltaReport;
type Layer = CliLayer | DeltaLayer;

/** Column order of a layer entry: identity, WeightWatcher's default columns in its order, then the rest. */
const LAYER_KEY_ORDER = [
  'tensor', 'expert', 'name', 'status', 'skip_reason', 'reason', 'side', 'base_tensor', 'base_shape', 'rows_compared',
  'resized',
  'layer_id', 'longname', 'layer_type', 'N', 'M', 'rf', 'Q', 'has_esd', 'num_evals', 'sv_max', 'sv_min', 'rank_loss',
  'weak_rank_loss', 'lambda_max', 'alpha', 'xmin', 'xmax', 'D', 'sigma', 'num_pl_spikes', 'warning', 'norm',
  'log_norm', 'spectral_norm', 'log_spectral_norm', 'alpha_weighted', 'log_alpha_norm', 'stable_rank', 'matrix_rank',
  'entropy',
];

function ordered(layer: Layer): Record<string, unknown> {
  const src = layer as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of LAYER_KEY_ORDER) if (src[k] !== undefined) out[k] = src[k];
  for (const [k, v] of Object.entries(src)) {
    if (k === 'esd' || k === 'timings' || k in out || v === undefined) continue;
    out[k] = v;
  }
  return out;
}

/** JSON.stringify already writes NaN/±Infinity as null; this replacer makes that explicit and documented. */
function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

export function toJsonDocument(report: Report): string {
  const delta = 'mode' in report ? report : null;
  const doc = {
    source: report.source,
    format: report.format,
    ...(delta ? { mode: delta.mode } : {}),
    ...(delta?.base !== undefined ? { base: delta.base, base_format: delta.base_format } : {}),
    ...(delta?.adapter !== undefined ? { adapter: delta.adapter } : {}),
    layers: report.layers.map(ordered),
    summary: report.summary,
  };
  return JSON.stringify(doc, finiteOrNull, 2);
}

function fmt(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(digits - 1) : v.toFixed(digits);
  }
  return String(v);
}

const TABLE_COLUMNS: Array<[header: string, get: (l: Layer) => unknown]> = [
  ['tensor', (l) => l.tensor],
  ['shape', (l) => l.shape.join('x')],
  ['status', (l) => l.status],
  ['alpha', (l) => l.alpha],
  ['D', (l) => l.D],
  ['xmin', (l) => l.xmin],
  ['spikes', (l) => l.num_pl_spikes],
  ['alpha_w', (l) => l.alpha_weighted],
  ['log_spec', (l) => l.log_spectral_norm],
  ['stable_rk', (l) => l.stable_rank],
  ['rank_loss', (l) => l.rank_loss],
  ['warning', (l) => l.warning],
  ['phase', (l) => l.phase],
];

/** Delta / adapter reports: the delta columns after WeightWatcher's. */
const DELTA_TABLE_COLUMNS: Array<[header: string, get: (l: Layer) => unknown]> = [
  ['rel_F', (l) => (l as DeltaLayer).delta_rel_frobenius],
  ['spec_ratio', (l) => (l as DeltaLayer).delta_spectral_ratio],
  ['eff_rank', (l) => (l as DeltaLayer).delta_effective_rank],
  ['d_alpha', (l) => (l as DeltaLayer).delta_alpha],
];

/** An aligned plain-text table of the layers, the skip reasons, and the summary. */
export function toTable(report: Report): string {
  const isDelta = 'mode' in report;
  const columns = isDelta ? [...TABLE_COLUMNS, ...DELTA_TABLE_COLUMNS] : TABLE_COLUMNS;
  const layers = report.layers as Layer[];
  const listed = (l: Layer) => l.status === 'skipped' || l.status === 'unmatched';
  const rows = layers.filter((l) => !listed(l)).map((l) => columns.map(([, get]) => fmt(get(l))));
  const headers = columns.map(([h]) => h);
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const numeric = headers.map((h) => !['tensor', 'shape', 'status', 'warning', 'phase'].includes(h));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const head = [`source: ${report.source}`];
  if (isDelta && report.base !== undefined) head.push(`base:   ${report.base}  (rows: ΔW = W_ft - W_base)`);
  if (isDelta && report.adapter !== undefined) {
    const a = report.adapter;
    head.push(`adapter: ${a.peft_type} r=${a.r} lora_alpha=${a.lora_alpha}${a.use_rslora ? ' rslora' : ''} base=${a.base_model_name_or_path ?? '-'}  (rows: ΔW = s·B·A)`);
  }
  const out = [...head, '', line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const unmatched = layers.filter((l) => l.status === 'unmatched') as DeltaLayer[];
  if (unmatched.length > 0) {
    out.push('', `unmatched (${unmatched.length}):`);
    for (const l of unmatched) out.push(`  ${l.tensor}  ${l.shape.join('x')}  ${l.reason}`);
  }
  const skipped = layers.filter((l) => l.status === 'skipped');
  if (skipped.length > 0) {
    out.push('', `skipped (${skipped.length}):`);
    for (const l of skipped) out.push(`  ${l.tensor}  ${l.shape.join('x')}  ${l.skip_reason}`);
  }
  out.push('', 'summary:');
  const { by_role: byRole, ...means } = report.summary;
  const s = means as ModelStats & Record<string, unknown>;
  const keyWidth = Math.max(...Object.keys(s).map((k) => k.length));
  for (const [k, v] of Object.entries(s)) out.push(`  ${k.padEnd(keyWidth)}  ${fmt(v, 6)}`);
  const roles = Object.entries(byRole);
  if (roles.length > 1) {
    out.push('', 'alpha by role (fits that succeeded):');
    const roleWidth = Math.max(...roles.map(([r]) => r.length));
    for (const [role, r] of roles) {
      out.push(`  ${role.padEnd(roleWidth)}  layers ${String(r.layers).padStart(4)}  mean ${fmt(r.alpha_mean)}  median ${fmt(r.alpha_median)}  range ${fmt(r.alpha_min)}..${fmt(r.alpha_max)}`);
    }
  }
  return out.join('\n');
}
