import type { Metadata } from 'next';
import Link from 'next/link';
import { getComparison } from '@/db/queries/compare';
import { ALIGNMENT_RULE, GROUP_LABEL, type RoleGroup } from '@/db/queries/align-layers';
import { ModelPicker } from '@/app/_components/ModelPicker';
import { CompareDepthChart, DiagonalChart } from '@/app/_components/charts/CompareCharts';
import { fmt } from '@/app/_components/format';
import { METRIC_INFO } from '@/app/_components/metric-info';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Compare' };

const ID = /^[\w.-]{1,96}\/[\w.-]{1,96}$/;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const a = one(sp.a);
  const b = one(sp.b);
  const bad = [a, b].filter((v) => v && !ID.test(v));
  const result = a && b && bad.length === 0 ? await getComparison({ a, b }) : null;
  const c = result?.comparison;
  const permalink = a && b ? `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}` : null;

  return (
    <>
      <h1>Compare two models layer by layer</h1>
      <form method="get" action="/compare" className="filters panel" aria-label="Pick two models" data-testid="compare-form">
        <ModelPicker name="a" label="Model A" defaultValue={a} testId="picker-a" />
        <ModelPicker name="b" label="Model B" defaultValue={b} testId="picker-b" />
        <button type="submit" className="btn" data-testid="compare-submit">
          Compare
        </button>
        {permalink && (
          <Link href={permalink} prefetch={false} className="small" data-testid="permalink">
            Permalink
          </Link>
        )}
      </form>
      {bad.length > 0 && <div className="banner error" role="alert">{bad.map((v) => `"${v}"`).join(', ')} is not a model id of the form owner/name.</div>}
      {result && !c && (
        <div className="banner error" role="alert" data-testid="compare-missing">
          Not on the board: {result.missing.join(', ')}.
        </div>
      )}
      {!a || !b ? <p className="muted">Pick two models. A fine-tune’s page links here with its base model filled in.</p> : null}
      {c && <Comparison c={c} />}
    </>
  );
}

/** A row side in words: one layer's name, `n layers, block b` (averaged), or the median over a block's experts. */
function sideLabel(side: { names: string[]; block: number | null; experts?: number } | null): string {
  if (!side) return '—';
  if (side.experts != null) return `median of ${side.experts} experts, block ${side.block}`;
  return side.names.length > 1 ? `${side.names.length} layers, block ${side.block}` : side.names[0];
}

function Comparison({ c }: { c: NonNullable<Awaited<ReturnType<typeof getComparison>>['comparison']> }) {
  const aName = c.a.detail.model.id;
  const bName = c.b.detail.model.id;
  const groups = (['attn_in', 'attn_out', 'mlp_in', 'mlp_out'] as RoleGroup[]).filter((g) => c.a.points.some((p) => p.group === g) || c.b.points.some((p) => p.group === g));
  const paired = c.rows.filter((r) => r.a && r.b).map((r) => ({ slot: r.slot, a: r.a!.alpha, b: r.b!.alpha }));
  const noAnalysis = [c.a, c.b].filter((s) => !s.detail.analysis?.summary).map((s) => s.detail.model.id);
  return (
    <>
      {noAnalysis.length > 0 && <div className="banner info">No finished analysis yet for {noAnalysis.join(' and ')}.</div>}
      <section aria-labelledby="sd-h">
        <h2 id="sd-h">Summary</h2>
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="sd-h">
          <table data-testid="summary-deltas">
            <thead>
              <tr>
                <th>metric</th>
                <th className="num"><Link href={`/models/${aName}`} prefetch={false}>{aName}</Link></th>
                <th className="num"><Link href={`/models/${bName}`} prefetch={false}>{bName}</Link></th>
                <th className="num">Δ (B − A)</th>
              </tr>
            </thead>
            <tbody>
              {c.summaryDeltas.map((d) => {
                // Counts (layers analysed) read as integers; metrics keep three decimals.
                const digits = d.key === 'layers_analyzed' ? 0 : 3;
                return (
                  <tr key={d.key}>
                    <td title={METRIC_INFO[d.key]?.help}>{METRIC_INFO[d.key]?.label ?? (d.key === 'layers_analyzed' ? 'Layers analysed' : d.key)}</td>
                    <td className="num">{fmt(d.a, digits)}</td>
                    <td className="num">{fmt(d.b, digits)}</td>
                    <td className="num">{d.delta == null ? '—' : `${d.delta > 0 ? '+' : ''}${fmt(d.delta, digits)}`}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="charts-h">
        <h2 id="charts-h">Alpha by depth, per role</h2>
        <p className="small muted">Alignment: {ALIGNMENT_RULE}</p>
        <div className="grid two">
          {groups.map((g) => (
            <CompareDepthChart key={g} group={g} label={GROUP_LABEL[g]} a={c.a.points.filter((p) => p.group === g)} b={c.b.points.filter((p) => p.group === g)} aName={aName} bName={bName} />
          ))}
          {paired.length > 0 && <DiagonalChart rows={paired} aName={aName} bName={bName} />}
        </div>
      </section>
      <section aria-labelledby="dt-h">
        <h2 id="dt-h">Aligned layers</h2>
        <div className="table-wrap" style={{ maxHeight: '70vh' }} tabIndex={0} role="region" aria-labelledby="dt-h">
          <table data-testid="delta-table">
            <thead>
              <tr>
                <th>slot</th>
                <th className="num">depth</th>
                <th>A layer(s)</th>
                <th className="num">α A</th>
                <th>B layer(s)</th>
                <th className="num">α B</th>
                <th className="num">Δα (B − A)</th>
              </tr>
            </thead>
            <tbody>
              {c.rows.map((r, i) => (
                <tr key={i} data-testid="delta-row">
                  <td>{r.slot}</td>
                  <td className="num">{fmt(r.depth, 2)}</td>
                  <td className="tensor" title={r.a?.names.join(', ')}>{sideLabel(r.a)}</td>
                  <td className="num">{fmt(r.a?.alpha)}</td>
                  <td className="tensor" title={r.b?.names.join(', ')}>{sideLabel(r.b)}</td>
                  <td className="num">{fmt(r.b?.alpha)}</td>
                  <td className="num">{r.delta == null ? '—' : `${r.delta > 0 ? '+' : ''}${fmt(r.delta)}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
