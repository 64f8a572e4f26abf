import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getCheckpointSeries } from '@/db/queries/layers';
import { pageViewUrl, round } from '@/db/queries/model-page';
import { getModelPageData } from '@/db/queries/model-detail';
import { getPageFacts } from '@/db/queries/page-facts';
import { getDeltaAnalysis, getDeltaMeans } from '@/db/queries/delta';
import { DerivedModels, TrainingDelta } from '@/app/_components/TrainingDelta';
import { describeCheckpointFormat } from '@/db/queries/layer-aggregates';
import { hubEndpoint } from '@/jobs/hub-status';
import { EsdViewer } from '@/app/_components/EsdViewer';
import { LayerTable } from '@/app/_components/LayerTable';
import { AutoRefresh } from '@/app/_components/AutoRefresh';
import { StatusCell } from '@/app/_components/Progress';
import { Tip } from '@/app/_components/Tip';
import { CheckpointSeriesChart, ModelLayerCharts } from '@/app/_components/charts/ModelCharts';
import { alphaClass, bytes, date, fmt, hubUrl, params as fmtParams, pct } from '@/app/_components/format';
import { METRIC_INFO } from '@/app/_components/metric-info';
import { BadgeSnippet } from '@/app/_components/BadgeSnippet';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ owner: string; name: string }>; searchParams: Promise<{ revision?: string | string[] }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { owner, name } = await params;
  return { title: `${decodeURIComponent(owner)}/${decodeURIComponent(name)}` };
}

const PHASE_HELP: Record<string, string> = {
  'random-like': 'spectrum close to Marchenko–Pastur noise: the layer learned little',
  'bleeding-out': 'a few eigenvalues leave the random bulk',
  'bulk+spikes': 'a random bulk with separated spikes (weak correlations)',
  'bulk-decay': 'the bulk itself decays, the tail is forming',
  'heavy-tailed': 'a well-formed power-law tail (well trained)',
  'rank-collapse': 'many zero eigenvalues: the matrix lost rank',
};

const SUMMARY_CARDS = [
  ['alpha', 'Mean α'], ['median_alpha', 'Median α'], ['alpha_weighted', 'α̂ (weighted)'], ['log_alpha_norm', 'log α-norm'],
  ['log_spectral_norm', 'log spectral norm'], ['log_norm', 'log Frobenius norm'], ['stable_rank', 'Stable rank'], ['mean_D', 'Mean D'],
] as const;

const MAX_FILES_SHOWN = 3;

export default async function ModelPage({ params, searchParams }: Props) {
  const { owner, name } = await params;
  const id = `${decodeURIComponent(owner)}/${decodeURIComponent(name)}`;
  const sp = await searchParams;
  const revision = Array.isArray(sp.revision) ? sp.revision[0] : sp.revision;
  const data = await getModelPageData({ id, revision: revision || undefined });
  if (!data) notFound();
  const { detail } = data;
  const { model, analysis } = detail;
  const derived = [...detail.fine_tunes, ...detail.adapters];
  const hasSteps = detail.revisions.some((r) => r.step != null);
  const [facts, series, delta, deltaMeans] = await Promise.all([
    // A done analysis' facts came with the detail's statement; any other's are derived from its page view now.
    analysis ? (data.facts ?? getPageFacts(analysis, model.id)) : Promise.resolve(null),
    hasSteps ? getCheckpointSeries({ modelId: id }) : Promise.resolve(null),
    // A fine-tune's delta analysis (also a failed one, e.g. a base_model naming the model itself) or an adapter's.
    model.baseModel || detail.type === 'adapter' ? getDeltaAnalysis({ modelId: id }) : Promise.resolve(null),
    getDeltaMeans({ analysisIds: derived.flatMap((d) => (d.analysis ? [d.analysis.id] : [])) }),
  ]);
  // The charts, the ESD viewer and the layer table fetch the view's data by this URL; the page sends none of it.
  const viewUrl = analysis ? pageViewUrl(analysis) : '';
  const hasCharts = facts?.charted ?? false;
  const layerCount = facts?.layerCount ?? 0;
  const summary = analysis?.summary;
  const checkpoint = analysis?.checkpoint ?? null;
  const byRole = Object.entries(analysis?.summary_by_role ?? {});
  const identical = analysis?.identical_to ?? null;

  return (
    <>
      <p className="small muted">
        <Link href="/" prefetch={false}>Leaderboard</Link> / {model.owner}
      </p>
      <h1 data-testid="model-title">{model.id}</h1>
      <p style={{ display: 'flex', flexWrap: 'wrap', gap: '0.4rem', alignItems: 'center' }}>
        {model.family && <span className="badge">{model.family}</span>}
        {model.architecture && <span className="badge">{model.architecture}</span>}
        <span className="badge">{fmtParams(model.parameterCount)} params</span>
        {model.dtype && <span className="badge">{model.dtype}</span>}
        {model.license && <span className="badge">{model.license}</span>}
        {model.gated && <span className="badge gated">gated</span>}
        {model.synthetic && <span className="badge synthetic">synthetic demo model</span>}
        <a href={hubUrl(hubEndpoint(), model.id)} target="_blank" rel="noreferrer">
          View on the Hub ↗
        </a>
        <Link href={`/compare?a=${encodeURIComponent(model.id)}`} prefetch={false}>
          Compare with…
        </Link>
        {detail.base && (
          detail.base.onBoard ? (
            <Link href={`/compare?a=${encodeURIComponent(detail.base.id)}&b=${encodeURIComponent(model.id)}`} prefetch={false} className="btn secondary" data-testid="compare-base">
              Compare with base model {detail.base.id}
            </Link>
          ) : (
            <span className="muted small">base model {detail.base.id} (not on the board)</span>
          )
        )}
      </p>
      {detail.fineTunes.length > 0 && derived.length === 0 && (
        <p className="small">
          Fine-tunes on the board:{' '}
          {detail.fineTunes.map((f, i) => (
            <span key={f}>
              {i > 0 && ', '}
              <Link href={`/models/${f}`} prefetch={false}>{f}</Link>
            </span>
          ))}
        </p>
      )}

      {!analysis && <div className="banner info">This model has no analysis yet.</div>}
      {analysis && (
        <div className="panel" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.5rem 1.5rem', alignItems: 'center', marginBottom: '1rem' }} data-testid="analysis-status">
          <StatusCell status={analysis.status} done={analysis.layersDone} total={analysis.layersTotal} waitingToResume={analysis.waitingToResume} />
          <span className="small">
            revision <code title={analysis.revision.sha}>{analysis.revision.sha.slice(0, 10)}</code> ({analysis.revision.ref})
            {analysis.revision.committedAt && ` · committed ${date(analysis.revision.committedAt)}`}
            {analysis.finishedAt && ` · analysed ${date(analysis.finishedAt)}`}
          </span>
          {analysis.status === 'running' && analysis.etaSeconds != null && <span className="small muted">about {Math.ceil(analysis.etaSeconds)} s left</span>}
          {analysis.status === 'running' && !analysis.waitingToResume && <span className="small muted">layers appear as they complete</span>}
          {analysis.waitingToResume && (
            <span className="small" role="status">
              The worker analysing this model stopped after {analysis.layersDone} of {analysis.layersTotal ?? "?"} layers; the
              analysis resumes at the first missing layer as soon as a worker picks it up (stored layers are kept).
            </span>
          )}
          {analysis.status === 'queued' && analysis.layersDone > 0 && (
            <span className="small muted">queued to resume at the first missing layer</span>
          )}
          <AutoRefresh active={analysis.status === 'running' || analysis.status === 'queued'} />
        </div>
      )}
      {identical && (
        <div className="banner info" role="status" data-testid="identical-banner">
          Weights identical to <Link href={`/models/${identical}`} prefetch={false}>{identical}</Link>: metrics reused, not recomputed.
        </div>
      )}
      {checkpoint && (
        <p className="small" data-testid="checkpoint">
          <strong>Checkpoint</strong>{' '}
          <span className="badge" data-testid="checkpoint-format">{describeCheckpointFormat(checkpoint.format, checkpoint.ref)}</span>{' '}
          <span data-testid="checkpoint-files" title={checkpoint.files.map((f) => f.path).join('\n')}>
            {checkpoint.files.slice(0, MAX_FILES_SHOWN).map((f, i) => (
              <span key={f.path}>
                {i > 0 && ', '}
                <code>{f.path}</code>
              </span>
            ))}
            {checkpoint.files.length > MAX_FILES_SHOWN && ` and ${checkpoint.files.length - MAX_FILES_SHOWN} more`}
            {` (${checkpoint.files.length} file${checkpoint.files.length === 1 ? '' : 's'}, ${bytes(checkpoint.files.reduce((s, f) => s + f.size, 0))})`}
          </span>
          {' · read at commit '}<code title={checkpoint.sha}>{checkpoint.sha.slice(0, 7)}</code>
          {checkpoint.note && <span data-testid="checkpoint-note">{` · ${checkpoint.note}`}</span>}
        </p>
      )}
      {analysis?.status === 'failed' && (
        <div className="banner error" role="alert" data-testid="failure-reason">
          <strong>Analysis failed:</strong> {analysis.error ?? 'no reason recorded'} {analysis.errorKind && <span className="badge failed">{analysis.errorKind}</span>}
        </div>
      )}
      {detail.latestAttempt?.status === 'failed' && (
        <div className="banner warn" role="status">
          The newest analysis attempt failed: {detail.latestAttempt.error}. Showing the last successful one.
        </div>
      )}

      {summary && (
        <section aria-labelledby="summary-h">
          <h2 id="summary-h">Summary</h2>
          <div className="grid cards" data-testid="summary-cards">
            {SUMMARY_CARDS.map(([key, label]) => (
              <div className="card" key={key}>
                <div className="label">
                  {label} {METRIC_INFO[key] && <Tip text={METRIC_INFO[key].help} label={label} />}
                </div>
                <div className={`value ${key.includes('alpha') && !key.includes('norm') && key !== 'alpha_weighted' ? alphaClass(summary[key] as number) : ''}`}>{fmt(summary[key] as number)}</div>
              </div>
            ))}
            <div className="card"><div className="label">Layers analysed</div><div className="value">{summary.layers_analyzed}</div></div>
            <div className="card"><div className="label">α &lt; 2 <Tip text={METRIC_INFO.share_alpha_lt_2.help} label="alpha below 2" /></div><div className="value">{pct(summary.share_alpha_lt_2)}</div></div>
            <div className="card"><div className="label">α &gt; 6 <Tip text={METRIC_INFO.share_alpha_gt_6.help} label="alpha above 6" /></div><div className="value">{pct(summary.share_alpha_gt_6)}</div></div>
            {summary.mp_softrank != null && <div className="card"><div className="label">MP soft rank</div><div className="value">{fmt(summary.mp_softrank)}</div></div>}
            <div className="card"><div className="label">Correlation traps <Tip text={METRIC_INFO.traps.help} label="correlation traps" /></div><div className="value">{summary.correlation_traps ?? '—'}</div></div>
          </div>
        </section>
      )}

      <TrainingDelta view={delta} type={detail.type} baseModel={detail.base_model} />
      <DerivedModels baseId={model.id} models={derived} means={deltaMeans} />

      {byRole.length > 1 && (
        <section aria-labelledby="roles-h">
          <h2 id="roles-h">Alpha by role</h2>
          <p className="small muted">
            The summary’s mean α is WeightWatcher’s plain mean over every analysed matrix; here each role on its own, so
            that many experts per block do not drown attention.
          </p>
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="roles-h">
            <table data-testid="role-summary">
              <thead>
                <tr><th>role</th><th className="num">layers</th><th className="num">mean α</th><th className="num">median α</th><th className="num">min α</th><th className="num">max α</th></tr>
              </thead>
              <tbody>
                {byRole.map(([role, a]) => (
                  <tr key={role}>
                    <td>{role}</td>
                    <td className="num">{a.layers}</td>
                    <td className={`num ${alphaClass(a.alpha_mean)}`}>{fmt(a.alpha_mean)}</td>
                    <td className="num">{fmt(a.alpha_median)}</td>
                    <td className="num">{fmt(a.alpha_min)}</td>
                    <td className="num">{fmt(a.alpha_max)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {facts && hasCharts && (
        <section aria-labelledby="charts-h">
          <h2 id="charts-h">Layers</h2>
          <ModelLayerCharts viewUrl={viewUrl} />
        </section>
      )}

      {facts && facts.phases.length > 0 && (
        <section aria-labelledby="phase-h">
          <h2 id="phase-h">Phase labels</h2>
          <p className="small muted">
            This project’s own heuristic (after Martin &amp; Mahoney’s phases of training), from the MP fit, spikes, alpha and rank loss; not a
            WeightWatcher output.
          </p>
          <ul data-testid="phases">
            {facts.phases.map(([p, n]) => (
              <li key={p}>
                <strong>{p}</strong>: {n} layer{n === 1 ? '' : 's'} <span className="muted small">— {PHASE_HELP[p] ?? ''}</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {facts && facts.traps.length > 0 && (
        <section aria-labelledby="traps-h">
          <h2 id="traps-h">Correlation traps</h2>
          <p className="small muted">Layers whose randomised weights still show eigenvalues above the MP bulk (rand_num_spikes &gt; 0).</p>
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="traps-h">
            <table data-testid="traps-table">
              <thead><tr><th>layer</th><th className="num">rand_num_spikes</th><th className="num">max_rand_eval</th><th className="num">rand_distance</th></tr></thead>
              <tbody>
                {facts.traps.map((l) => (
                  <tr key={l.ordinal}><td className="tensor">{l.tensor}</td><td className="num">{l.rand_num_spikes}</td><td className="num">{fmt(l.max_rand_eval)}</td><td className="num">{fmt(l.rand_distance)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {analysis && facts && facts.listedLayers > 0 && !(detail.type === 'adapter' && !facts.firstEsd) && (
        <EsdViewer
          modelId={model.id}
          revision={analysis.revision.sha}
          viewUrl={viewUrl}
          delta={delta?.kind === 'delta' ? { base: delta.base?.id ?? null, layers: delta.layers.filter((l) => l.status === 'success' || l.status === 'failed').map((l) => ({ ordinal: l.ordinal, name: l.name, role: l.role, alpha: round(l.alpha as number | null) })) } : null}
        />
      )}

      {series && (
        <section aria-labelledby="series-h">
          <h2 id="series-h">Training checkpoints</h2>
          <p className="small muted">
            Steps: {series.steps.map((s) => `${s.step} (mean α ${fmt(s.meanAlpha)})`).join(' → ')}
          </p>
          <CheckpointSeriesChart steps={series.steps} layers={series.layers} />
        </section>
      )}

      {facts && layerCount > 0 && (
        <section aria-labelledby="table-h">
          <h2 id="table-h">All layers ({layerCount})</h2>
          <p className="small muted">Full tensor names and every stored WeightWatcher column. Click a header to sort.</p>
          <LayerTable
            viewUrl={viewUrl}
            total={layerCount}
            fullUrl={`/api/v1/models/${model.id}/layers?revision=${analysis!.revision.sha}`}
          />
        </section>
      )}

      <section aria-labelledby="rev-h">
        <h2 id="rev-h">Revision history</h2>
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="rev-h">
          <table data-testid="revisions">
            <thead>
              <tr><th>ref</th><th>sha</th><th>step</th><th>committed</th><th>analyses</th><th /></tr>
            </thead>
            <tbody>
              {detail.revisions.map((r) => (
                <tr key={r.id} aria-current={analysis?.revision.id === r.id ? 'true' : undefined}>
                  <td>{r.ref}</td>
                  <td><code>{r.sha.slice(0, 10)}</code></td>
                  <td>{r.step ?? '—'}</td>
                  <td>{date(r.committedAt)}</td>
                  <td>
                    {r.analyses.map((a) => (
                      <span key={a.id} style={{ marginRight: '0.4rem' }} title={a.error ?? undefined}>
                        <span className={`badge ${a.status}`}>{a.status}</span>
                        {a.summary && <span className="small"> α {fmt(a.summary.alpha)}</span>}
                      </span>
                    ))}
                  </td>
                  <td>
                    {analysis?.revision.id === r.id ? <span className="small muted">shown</span> : <Link href={`/models/${model.id}?revision=${r.sha}`} prefetch={false}>show</Link>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <BadgeSnippet modelId={model.id} />
    </>
  );
}
