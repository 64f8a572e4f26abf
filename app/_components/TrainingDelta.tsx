import Link from 'next/link';
import type { DeltaAnalysisView, DeltaMeans, DeltaRow, DerivedModel } from '@/db/queries/delta';
import { AutoRefresh } from './AutoRefresh';
import { StatusCell } from './Progress';
import { Tip } from './Tip';
import { DeltaAlphaByDepthChart, DeltaWAlphaByDepthChart, type DeltaDepthRole } from './charts/DeltaCharts';
import { alphaClass, fmt } from './format';

/**
 * A fine-tune's or adapter's page: what training changed (its delta analysis ΔW = W − W_base, or the adapter's
 * ΔW = s·B·A), and a base's page: its fine-tunes and adapters. Server components; the charts are client ones.
 */

/** Plain words for the failure kinds a delta or adapter analysis ends with (the stored reason is shown as well). */
const FAILURE_HELP: Record<string, string> = {
  bad_base: 'The card’s base_model cannot be used as the base: it names the model itself, or the base_model links form a cycle.',
  no_base: 'The base model could not be put on the board, so there is nothing to subtract.',
  different_architectures: 'No tensor name is shared with the base: the two checkpoints look like different architectures.',
  unsupported_adapter: 'Only LoRA adapters are analysed; this adapter type (DoRA, IA3, prompt tuning, …) is not.',
  bad_adapter: 'The adapter’s files could not be read as a PEFT LoRA adapter.',
  gated: 'A checkpoint involved is gated on the Hub: its weights cannot be read without access.',
  not_found: 'A checkpoint involved is missing on the Hub.',
  too_large: 'A checkpoint involved is over the size cap (MAX_CHECKPOINT_BYTES).',
};

const STATUS_HELP: Record<string, string> = {
  unchanged: 'ΔW = 0: the layer was frozen (identical to the base)',
  unmatched: 'in one checkpoint only, or a shape that cannot be compared',
  skipped: 'not analysed',
  failed: 'the power-law fit failed',
};

function depthSeries(view: DeltaAnalysisView): DeltaDepthRole[] {
  const maxBlock = Math.max(0, ...view.by_depth.flatMap((s) => s.points.map((p) => p.block_index)));
  return view.by_depth.map((s) => ({
    role: s.role,
    points: s.points.map((p) => ({
      x: p.relative_depth ?? (maxBlock > 0 ? p.block_index / maxBlock : 0),
      delta_alpha: p.delta_alpha,
      alpha: p.alpha,
      tensor: p.tensor,
    })),
  }));
}

function Card({ label, value, help, testId, className = '' }: { label: string; value: React.ReactNode; help?: string; testId?: string; className?: string }) {
  return (
    <div className="card" data-testid={testId}>
      <div className="label">
        {label} {help && <Tip text={help} label={label} />}
      </div>
      <div className={`value ${className}`}>{value}</div>
    </div>
  );
}

function note(r: DeltaRow): string {
  const parts: string[] = [];
  if (r.resized) parts.push(r.resized);
  if (r.skip_reason && r.status !== 'unmatched') parts.push(r.skip_reason);
  if (r.status === 'unchanged' && !r.skip_reason) parts.push(STATUS_HELP.unchanged);
  if (r.base_tensor && r.base_tensor !== r.tensor) parts.push(`base tensor ${r.base_tensor}`);
  return parts.join('; ');
}

function shapeText(shape: number[] | null | undefined): string {
  return shape && shape.length ? shape.join(' × ') : '—';
}

export function TrainingDelta({ view, type, baseModel }: {
  view: DeltaAnalysisView | null;
  type: 'model' | 'fine-tune' | 'adapter';
  /** The card's base_model (for the empty state). */
  baseModel: string | null;
}) {
  if (!view) {
    if (type === 'model') return null;
    return (
      <section aria-labelledby="delta-h" data-testid="training-delta">
        <h2 id="delta-h">What training changed</h2>
        <p className="muted" data-testid="delta-none">
          No {type === 'adapter' ? 'adapter' : 'delta'} analysis yet
          {baseModel ? <> against <Link href={`/models/${baseModel}`} prefetch={false}>{baseModel}</Link></> : null}.
        </p>
      </section>
    );
  }
  const { analysis, delta_summary: s, base } = view;
  const adapter = view.kind === 'adapter';
  const rows = view.layers.filter((r) => r.status !== 'unmatched');
  const series = depthSeries(view);
  const hasDeltaAlpha = series.some((r) => r.points.some((p) => p.delta_alpha != null));
  const hasAlpha = series.some((r) => r.points.some((p) => p.alpha != null));
  const active = analysis.status === 'running' || analysis.status === 'queued';
  return (
    <section aria-labelledby="delta-h" data-testid="training-delta" data-kind={view.kind}>
      <h2 id="delta-h">What training changed</h2>
      <p className="small muted">
        {adapter ? (
          <>
            LoRA adapter: per module ΔW = s·B·A with s = lora_alpha / r (lora_alpha / √r with rslora), analysed like a weight matrix
            {base ? <> (shapes checked against <Link href={`/models/${base.id}`} prefetch={false}>{base.id}</Link>)</> : null}.
          </>
        ) : (
          <>
            ΔW = W − W_base per tensor, paired by name, against{' '}
            {base ? (
              <>
                <Link href={`/models/${base.id}`} prefetch={false} data-testid="delta-base">{base.id}</Link> at <code title={base.sha}>{base.sha.slice(0, 10)}</code>
              </>
            ) : (
              <>{baseModel ?? 'its base'}</>
            )}
            . WeightWatcher’s columns are of ΔW; Δα = α(W) − α(W_base).
          </>
        )}
      </p>
      <div className="panel" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.5rem 1.5rem', alignItems: 'center', marginBottom: '1rem' }} data-testid="delta-status">
        <span className="small">{adapter ? 'Adapter analysis' : 'Delta analysis'}</span>
        <StatusCell status={analysis.status} done={analysis.layersDone} total={analysis.layersTotal} waitingToResume={analysis.waitingToResume} />
        {active && <span className="small muted">rows appear as they complete</span>}
        <AutoRefresh active={active} />
      </div>
      {analysis.status === 'failed' && (
        <div className="banner error" role="alert" data-testid="delta-failure">
          <strong>{adapter ? 'Adapter' : 'Delta'} analysis failed:</strong> {analysis.error ?? 'no reason recorded'}
          {analysis.errorKind && <> <span className="badge failed">{analysis.errorKind}</span></>}
          {analysis.errorKind && FAILURE_HELP[analysis.errorKind] && <div className="small">{FAILURE_HELP[analysis.errorKind]}</div>}
        </div>
      )}

      {s.rows > 0 && (
        <div className="grid cards" data-testid="delta-summary">
          <Card label="ΔW mean α" value={fmt(s.alpha_mean)} className={alphaClass(s.alpha_mean)} help="Mean power-law α of ΔW over the analysed rows." testId="delta-card-alpha" />
          <Card label="ΔW median α" value={fmt(s.alpha_median)} help="Median α of ΔW over the analysed rows." />
          {!adapter && <Card label="Mean Δα" value={fmt(s.delta_alpha_mean)} help="Mean of α(W) − α(W_base) where both fits succeeded." testId="delta-card-dalpha" />}
          {!adapter && <Card label="Mean ‖ΔW‖/‖W‖" value={fmt(s.rel_frobenius_mean)} help="Mean relative Frobenius change ‖ΔW‖_F / ‖W_base‖_F." />}
          <Card label="Rows analysed" value={s.analysed} />
          <Card label="Unchanged" value={s.unchanged} help={STATUS_HELP.unchanged} testId="delta-card-unchanged" />
          <Card label="Unmatched" value={s.unmatched} help={STATUS_HELP.unmatched} testId="delta-card-unmatched" />
          {s.skipped > 0 && <Card label="Skipped" value={s.skipped} />}
        </div>
      )}

      {(hasDeltaAlpha || hasAlpha) && (
        <div className="grid two">
          {hasDeltaAlpha && <DeltaAlphaByDepthChart series={series} />}
          {hasAlpha && <DeltaWAlphaByDepthChart series={series} />}
        </div>
      )}

      {rows.length > 0 && (
        <>
          <h3 id="delta-rows-h">ΔW per layer ({rows.length})</h3>
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="delta-rows-h">
            <table data-testid="delta-table">
              <thead>
                <tr>
                  <th>tensor</th>
                  <th>status</th>
                  <th className="num">ΔW α</th>
                  {!adapter && <th className="num">Δα</th>}
                  {!adapter && <th className="num">‖ΔW‖_F/‖W‖_F</th>}
                  {!adapter && <th className="num">‖ΔW‖₂/‖W‖₂</th>}
                  <th className="num">stable rank</th>
                  <th className="num">effective rank</th>
                  {adapter && <th className="num">r</th>}
                  {adapter && <th className="num">lora_alpha</th>}
                  {adapter && <th className="num">scale</th>}
                  <th>note</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={`${r.ordinal}:${r.tensor}:${r.expert ?? ''}`} data-status={r.status}>
                    <td className="tensor">{r.tensor}</td>
                    <td><span className={`badge ${r.status === 'success' ? 'done' : r.status === 'failed' ? 'failed' : ''}`}>{r.status}</span></td>
                    <td className={`num ${r.status === 'success' ? alphaClass(r.alpha as number | null) : ''}`}>{r.status === 'success' ? fmt(r.alpha as number | null) : '—'}</td>
                    {!adapter && <td className="num">{fmt(r.delta_alpha)}</td>}
                    {!adapter && <td className="num">{fmt(r.delta_rel_frobenius)}</td>}
                    {!adapter && <td className="num">{fmt(r.delta_spectral_ratio)}</td>}
                    <td className="num">{fmt(r.delta_stable_rank)}</td>
                    <td className="num">{fmt(r.delta_effective_rank)}</td>
                    {adapter && <td className="num">{r.lora_r ?? '—'}</td>}
                    {adapter && <td className="num">{fmt(r.lora_alpha, 2)}</td>}
                    {adapter && <td className="num">{fmt(r.lora_scale)}</td>}
                    <td className="small">{note(r)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      {view.unmatched.length > 0 && (
        <>
          <h3 id="delta-unmatched-h">Unmatched tensors ({view.unmatched.length})</h3>
          <p className="small muted">Tensors with no counterpart of a comparable shape in the other checkpoint: not analysed.</p>
          <ul data-testid="delta-unmatched">
            {view.unmatched.map((u) => (
              <li key={`${u.side}:${u.tensor}`}>
                <code>{u.tensor}</code> <span className="small muted">({u.side === 'base' ? 'base only' : 'this model'}, {shapeText(u.shape)}
                {u.base_shape ? ` vs base ${shapeText(u.base_shape)}` : ''})</span>: {u.reason ?? 'no reason recorded'}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** A base's page: its fine-tunes and adapters on the board, each with its delta in short. */
export function DerivedModels({ baseId, models, means }: { baseId: string; models: DerivedModel[]; means: Map<number, DeltaMeans> }) {
  if (models.length === 0) return null;
  return (
    <section aria-labelledby="derived-h" data-testid="derived-models">
      <h2 id="derived-h">Fine-tunes and adapters</h2>
      <p className="small muted">
        Models on the board whose card names {baseId} as base_model, with what training changed (ΔW = W − W_base; adapters ΔW =
        s·B·A). <Link href={`/?base=${encodeURIComponent(baseId)}`} prefetch={false} data-testid="derived-leaderboard">Show them on the leaderboard</Link>
      </p>
      <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="derived-h">
        <table>
          <thead>
            <tr>
              <th>model</th><th>type</th><th>status</th><th className="num">ΔW mean α</th><th className="num">mean Δα</th><th className="num">mean ‖ΔW‖/‖W‖</th><th />
            </tr>
          </thead>
          <tbody>
            {models.map((m) => {
              const a = m.analysis;
              const mm = a ? means.get(a.id) : undefined;
              return (
                <tr key={m.id} data-testid="derived-row" data-type={m.type}>
                  <td><Link href={`/models/${m.id}`} prefetch={false}>{m.id}</Link></td>
                  <td><span className="badge">{m.type}</span></td>
                  <td title={a?.error ?? undefined}>
                    {a ? <span className={`badge ${a.status}`}>{a.status}</span> : <span className="muted small">not analysed yet</span>}
                    {a?.status === 'failed' && a.error && <div className="small">{a.error}</div>}
                  </td>
                  <td className={`num ${alphaClass(a?.summary?.alpha)}`}>{fmt(a?.summary?.alpha)}</td>
                  <td className="num">{fmt(mm?.delta_alpha_mean)}</td>
                  <td className="num">{fmt(mm?.rel_frobenius_mean)}</td>
                  <td><Link href={`/models/${m.id}#delta-h`} prefetch={false}>what changed</Link></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
