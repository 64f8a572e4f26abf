import { parseTensorName } from '@/lib/tensor-names/parse';
import { WW_DEFAULT_METRIC_COLUMNS, WW_OPTIONAL_METRIC_COLUMNS } from '@/lib/types';

/**
 * Pure read-side aggregates over the layer rows of one analysis: per-role alpha statistics, the per-block bands of
 * MoE experts, and whether a model's metrics were all reused from one other model. No database and no server-only
 * import, so the model page's client components and the unit tests use them as they are.
 *
 * "Analysed" rows are WeightWatcher's: status `success` with a positive, finite alpha (failed fits carry alpha -1).
 */

export interface RoleAggregate {
  /** Analysed rows of this role. */
  layers: number;
  alpha_mean: number;
  alpha_median: number;
  alpha_min: number;
  alpha_max: number;
}

export interface AggregateInputRow {
  role: string;
  status: string;
  alpha: number | null | undefined;
}

export function isAnalysed(r: { status: string; alpha?: number | null }): boolean {
  return r.status === 'success' && r.alpha != null && Number.isFinite(r.alpha) && r.alpha > 0;
}

/** Median of a list of numbers (mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Alpha statistics per role over analysed rows, roles in order of first appearance. The model summary keeps
 * WeightWatcher's plain mean over every analysed row; this is the view in which 64 experts per block do not drown
 * the attention matrices.
 */
export function summarizeByRole(rows: readonly AggregateInputRow[]): Record<string, RoleAggregate> {
  const byRole = new Map<string, number[]>();
  for (const r of rows) {
    if (!isAnalysed(r)) continue;
    const list = byRole.get(r.role) ?? [];
    list.push(r.alpha!);
    byRole.set(r.role, list);
  }
  const out: Record<string, RoleAggregate> = {};
  for (const [role, alphas] of byRole) {
    out[role] = {
      layers: alphas.length,
      alpha_mean: alphas.reduce((s, a) => s + a, 0) / alphas.length,
      alpha_median: median(alphas),
      alpha_min: Math.min(...alphas),
      alpha_max: Math.max(...alphas),
    };
  }
  return out;
}

/** The model id in a `reused_from` value (`<model id> <tensor or name>`; model ids have no spaces). */
export function reusedModelOf(reusedFrom: string): string {
  const at = reusedFrom.indexOf(' ');
  return at < 0 ? reusedFrom : reusedFrom.slice(0, at);
}

/**
 * The model a whole analysis is identical to: every analysed row (success or failed fit; skipped rows are not
 * analysed) has `reused_from` naming the same other model. Null when any analysed row was computed here, when rows
 * came from several models, or when nothing was analysed.
 */
export function identicalTo(rows: readonly { status: string; reused_from: string | null | undefined }[], self?: string): string | null {
  let source: string | null = null;
  let any = false;
  for (const r of rows) {
    if (r.status === 'skipped') continue;
    any = true;
    if (!r.reused_from) return null;
    const m = reusedModelOf(r.reused_from);
    if (source === null) source = m;
    else if (source !== m) return null;
  }
  if (!any || source === null || source === self) return null;
  return source;
}

/** The projection an expert matrix plays (gate / up / down / gate_up) from its tensor name; null when unknown. */
export function expertRoleOf(tensor: string): string | null {
  return parseTensorName(tensor).expertRole;
}

export interface ExpertBandInput {
  ordinal: number;
  tensor: string;
  name: string;
  role: string;
  status: string;
  alpha: number | null | undefined;
  expert: number | null | undefined;
  block_index: number | null | undefined;
  relative_depth?: number | null;
}

export interface ExpertBand<R extends ExpertBandInput = ExpertBandInput> {
  /** `e<block>:<expertRole>` — stable within an analysis. */
  key: string;
  block_index: number | null;
  relative_depth: number | null;
  /** gate / up / down / gate_up, or null when the name does not say. */
  expert_role: string | null;
  /** Every row of the group (all statuses), in checkpoint order. */
  rows: R[];
  /** Over analysed rows only; null when none was analysed. */
  alpha_min: number | null;
  alpha_median: number | null;
  alpha_max: number | null;
  analysed: number;
}

/** The group key of a routed expert's row, or null for any other row (dense, shared expert, router). */
export function expertGroupKey(r: Pick<ExpertBandInput, 'role' | 'expert' | 'tensor' | 'block_index'>): string | null {
  if (r.role !== 'expert' || r.expert == null) return null;
  return `e${r.block_index ?? '-'}:${expertRoleOf(r.tensor) ?? r.tensor.replace(/\.\d+\./g, '.*.')}`;
}

/**
 * Routed experts grouped per block and expertRole (Mixtral's `experts.0..7.w3` of block 5 → one group; a 3-D stack's
 * rows likewise), with min / median / max alpha over the group's analysed rows. Groups come in checkpoint order.
 */
export function expertBands<R extends ExpertBandInput>(rows: readonly R[]): ExpertBand<R>[] {
  const groups = new Map<string, ExpertBand<R>>();
  for (const r of rows) {
    const key = expertGroupKey(r);
    if (!key) continue;
    let g = groups.get(key);
    if (!g) {
      g = {
        key, block_index: r.block_index ?? null, relative_depth: r.relative_depth ?? null, expert_role: expertRoleOf(r.tensor),
        rows: [], alpha_min: null, alpha_median: null, alpha_max: null, analysed: 0,
      };
      groups.set(key, g);
    }
    g.rows.push(r);
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.rows.sort((x, y) => x.ordinal - y.ordinal);
    const alphas = g.rows.filter(isAnalysed).map((r) => r.alpha!);
    g.analysed = alphas.length;
    if (alphas.length > 0) {
      g.alpha_min = Math.min(...alphas);
      g.alpha_max = Math.max(...alphas);
      g.alpha_median = median(alphas);
    }
  }
  return out.sort((x, y) => x.rows[0].ordinal - y.rows[0].ordinal);
}

/** Human-readable checkpoint format: `pytorch-zip` → "PyTorch pickle (zip)", a conversion PR noted. */
export function describeCheckpointFormat(format: string, ref: string | null | undefined): string {
  const base =
    format === 'safetensors' ? 'safetensors'
      : format === 'pytorch-zip' ? 'PyTorch pickle (zip)'
        : format === 'pytorch-legacy' ? 'PyTorch pickle (legacy)'
          : format;
  return ref ? `${base} from conversion PR ${ref}` : base;
}

/** A layer row as the layer table reads it (the API's row, or the page's with null fields left out). */
export type TableRow = Record<string, unknown> & { ordinal: number; tensor: string };

/** What an expert group's line lists per expert when opened. */
export type ExpertMember = Pick<TableRow, 'ordinal' | 'tensor'> & {
  expert?: unknown;
  name?: unknown;
  status?: unknown;
  alpha?: unknown;
  reused_from?: unknown;
};

/** One line of the layer table: a layer, or the routed experts of one block and projection (their medians). */
export interface TableLine {
  row: TableRow;
  members?: ExpertMember[];
}

const numOrNull = (v: unknown) => (typeof v === 'number' ? v : null);

/** WeightWatcher's metric columns that hold a value in at least one of `rows`, in WeightWatcher's order. */
export function metricColumnsOf(rows: readonly Record<string, unknown>[]): string[] {
  return [...WW_DEFAULT_METRIC_COLUMNS, ...WW_OPTIONAL_METRIC_COLUMNS].filter((c) => rows.some((r) => r[c] != null));
}

/**
 * Expert rows of one block and projection collapse into one line whose numeric columns are medians over the
 * analysed experts (alpha min / max in the summary line); every other row is its own line.
 */
export function tableItems(rows: readonly TableRow[], metricCols: readonly string[]): (TableLine & { members?: TableRow[] })[] {
  const groups = new Map<string, TableRow[]>();
  const keyOf = (r: TableRow) =>
    expertGroupKey({ role: String(r.role ?? ''), expert: numOrNull(r.expert), tensor: r.tensor, block_index: numOrNull(r.block_index) });
  for (const r of rows) {
    const k = keyOf(r);
    if (k) groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const items: (TableLine & { members?: TableRow[] })[] = [];
  const done = new Set<string>();
  for (const r of rows) {
    const k = keyOf(r);
    const members = k ? groups.get(k)! : null;
    if (!k || !members || members.length < 2) {
      items.push({ row: r });
      continue;
    }
    if (done.has(k)) continue;
    done.add(k);
    const sorted = [...members].sort((x, y) => x.ordinal - y.ordinal);
    const ok = sorted.filter((m) => isAnalysed({ status: String(m.status), alpha: numOrNull(m.alpha) }));
    const row: TableRow = { ...sorted[0], expert: null, status: `${ok.length}/${sorted.length} success`, phase: null, reused_from: null };
    for (const c of metricCols) {
      const vals = ok.map((m) => numOrNull(m[c])).filter((v): v is number => v != null);
      row[c] = vals.length ? median(vals) : null;
    }
    items.push({ row, members: sorted });
  }
  return items;
}

/** An expert as its group's opened line lists it: only the fields shown there. */
export function expertMemberOf(m: TableRow): ExpertMember {
  const out: ExpertMember = { ordinal: m.ordinal, tensor: m.tensor };
  for (const k of ['expert', 'name', 'status', 'alpha', 'reused_from'] as const) if (m[k] != null) out[k] = m[k];
  return out;
}
