'use client';

import { useEffect, useId, useMemo, useState } from 'react';
import { CartesianGrid, Legend, ReferenceLine, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import type { EsdData } from '@/lib/types';
import { ChartFrame, fmtTick, logTicks } from './charts/ChartFrame';
import { logBinnedDensity, powerLawLine } from './esd-math';
import { esdOptionsOf, type LayerColumns } from '@/db/queries/layer-columns';
import { usePageView } from './page-view';

export interface EsdLayerOption {
  ordinal: number;
  name: string;
  role: string;
  alpha: number | null;
}

/** A fine-tune's ΔW rows (its delta analysis against `base`): the viewer offers them next to the model's layers. */
export interface EsdDeltaLayers {
  base: string | null;
  layers: EsdLayerOption[];
}

/**
 * The ESD viewer: the model's layers and the first fitted layer's spectrum come with the page view (fetched by URL,
 * shared with the charts and the layer table); any other layer's spectrum from the ESD API when picked.
 */
export function EsdViewer({ viewUrl, ...rest }: { modelId: string; revision: string; viewUrl: string; delta?: EsdDeltaLayers | null }) {
  const { view, error } = usePageView(viewUrl);
  const headingId = useId();
  if (!view) {
    return (
      <section aria-labelledby={headingId} data-testid="esd-viewer" aria-busy={error ? undefined : 'true'}>
        <h2 id={headingId}>ESD viewer</h2>
        {error ? <div className="banner error" role="alert">Could not load the layers: {error}</div> : <p className="muted small">Loading the layers…</p>}
      </section>
    );
  }
  return <LoadedEsdViewer {...rest} columns={view.columns} initial={view.firstEsd} />;
}

function LoadedEsdViewer({ modelId, revision, columns, initial, delta }: {
  modelId: string;
  revision: string;
  /** The model's layers (every one not skipped), as the page view's columns. */
  columns: LayerColumns;
  initial: { ordinal: number; esd: EsdData } | null;
  delta?: EsdDeltaLayers | null;
}) {
  const selectId = useId();
  const [showDelta, setShowDelta] = useState(false);
  const modelLayers: EsdLayerOption[] = useMemo(() => esdOptionsOf(columns), [columns]);
  const layers = showDelta && delta ? delta.layers : modelLayers;
  const [ordinal, setOrdinal] = useState<number | null>(initial?.ordinal ?? layers[0]?.ordinal ?? null);
  const [esd, setEsd] = useState<EsdData | null>(initial?.esd ?? null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const pickSource = (toDelta: boolean) => {
    if (toDelta === showDelta) return;
    setShowDelta(toDelta);
    setEsd(null);
    setOrdinal((toDelta && delta ? delta.layers : modelLayers)[0]?.ordinal ?? null);
  };

  useEffect(() => {
    if (ordinal == null || (!showDelta && initial && ordinal === initial.ordinal && esd === initial.esd)) return;
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    const query = showDelta
      ? `delta=true${delta?.base ? `&base=${encodeURIComponent(delta.base)}` : ''}`
      : `revision=${encodeURIComponent(revision)}`;
    fetch(`/api/v1/models/${modelId}/layers/${ordinal}/esd?${query}`, { signal: ctrl.signal })
      .then(async (res) => {
        const body = await res.json();
        if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
        setEsd(body.esd);
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setError(e.message);
      })
      .finally(() => setLoading(false));
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ordinal, modelId, revision, showDelta]);

  const hist = useMemo(() => (esd ? logBinnedDensity(esd.evals) : []), [esd]);
  const fit = useMemo(() => (esd ? powerLawLine(esd) : []), [esd]);
  const current = layers.find((l) => l.ordinal === ordinal);
  const xs = [...hist, ...fit].map((p) => p.x);
  const ys = [...hist, ...fit].map((p) => p.y);
  const xDomain: [number, number] = [Math.min(...xs) / 1.2, Math.max(...xs) * 1.2];
  const yDomain: [number, number] = [Math.min(...ys) / 1.5, Math.max(...ys) * 1.5];

  return (
    <section aria-labelledby={`${selectId}-h`} data-testid="esd-viewer">
      <h2 id={`${selectId}-h`}>ESD viewer</h2>
      <div className="filters">
        {delta && delta.layers.length > 0 && (
          <fieldset data-testid="esd-source" style={{ border: 'none', padding: 0, margin: 0, display: 'flex', gap: '0.75rem', alignItems: 'center' }}>
            <legend className="small" style={{ float: 'left', marginRight: '0.5rem' }}>Spectrum of</legend>
            <label>
              <input type="radio" name={`${selectId}-src`} checked={!showDelta} onChange={() => pickSource(false)} /> W (the model’s layers)
            </label>
            <label>
              <input type="radio" name={`${selectId}-src`} checked={showDelta} onChange={() => pickSource(true)} data-testid="esd-source-delta" /> ΔW
              {delta.base ? ` = W − W_base (${delta.base})` : ''}
            </label>
          </fieldset>
        )}
        <label htmlFor={selectId}>
          Layer
          <select id={selectId} value={ordinal ?? ''} onChange={(e) => setOrdinal(Number(e.target.value))} data-testid="esd-layer-select">
            {layers.map((l) => (
              <option key={l.ordinal} value={l.ordinal}>
                {l.ordinal}: {l.name} ({l.role}{l.alpha != null ? `, α=${l.alpha.toFixed(2)}` : ''})
              </option>
            ))}
          </select>
        </label>
        {loading && <span className="muted small" role="status">loading…</span>}
      </div>
      {error && <div className="banner error" role="alert">Could not load this layer’s spectrum: {error}</div>}
      {esd && (
        <ChartFrame
          title={`Eigenvalue density of ${showDelta ? 'ΔW of ' : ''}${current?.name ?? 'layer'}`}
          label={`Log-log eigenvalue density of layer ${current?.name ?? ''} with the fitted power law of exponent ${esd.fit.alpha.toFixed(2)}`}
          testId="chart-esd"
          height={340}
          data={{
            caption: `Spectrum and power-law fit of ${current?.name ?? 'the layer'}`,
            columns: ['quantity', 'value'],
            rows: [
              ['eigenvalues', esd.evals.length],
              ['smallest eigenvalue', esd.evals.length ? esd.evals[0] : null],
              ['largest eigenvalue', esd.evals.length ? esd.evals[esd.evals.length - 1] : null],
              ['alpha', esd.fit.alpha],
              ['xmin', esd.fit.xmin],
              ['KS distance D', esd.fit.D],
              ...(esd.mp ? [['MP bulk min', esd.mp.bulk_min], ['MP bulk max', esd.mp.bulk_max]] as [string, number][] : []),
            ],
          }}
          caption={
            <>
              Points: log-binned density of {esd.evals.length} {esd.complete ? '' : 'sampled '}eigenvalues of {showDelta ? 'ΔWᵀΔW' : 'WᵀW'}. Line: power law with
              slope −α = −{esd.fit.alpha.toFixed(3)} from xmin to xmax, scaled to the tail’s share. D = {esd.fit.D.toFixed(3)}
              {esd.fit.status === 'failed' ? ' (fit failed)' : ''}.{esd.mp ? ' Dashed: Marchenko–Pastur bulk edges.' : ''}
            </>
          }
        >
          <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }} data-layer={ordinal ?? undefined}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" dataKey="x" name="λ" scale="log" domain={xDomain} ticks={logTicks(...xDomain)} tickFormatter={fmtTick} allowDataOverflow />
            <YAxis type="number" dataKey="y" name="density" scale="log" domain={yDomain} ticks={logTicks(...yDomain)} tickFormatter={fmtTick} width={56} allowDataOverflow />
            <ZAxis range={[22, 22]} />
            <Tooltip formatter={(v: any) => Number(v).toPrecision(3)} />
            <Legend />
            <Scatter name="ESD (log-binned)" data={hist} fill="#4263eb" isAnimationActive={false} />
            <Scatter name={`power law α=${esd.fit.alpha.toFixed(2)}`} data={fit} fill="#e8590c" line={{ stroke: '#e8590c', strokeWidth: 2 }} shape={() => <g />} legendType="line" isAnimationActive={false} />
            <ReferenceLine x={esd.fit.xmin} stroke="#c92a2a" strokeDasharray="4 2" label={{ value: 'xmin', position: 'insideTopLeft', fontSize: 11 }} ifOverflow="extendDomain" />
            {esd.mp && <ReferenceLine x={esd.mp.bulk_min} stroke="#2b8a3e" strokeDasharray="2 3" label={{ value: 'MP min', position: 'insideBottomLeft', fontSize: 10 }} />}
            {esd.mp && <ReferenceLine x={esd.mp.bulk_max} stroke="#2b8a3e" strokeDasharray="2 3" label={{ value: 'MP max', position: 'insideBottomRight', fontSize: 10 }} />}
          </ScatterChart>
        </ChartFrame>
      )}
    </section>
  );
}
