'use client';

import {
  Bar, BarChart, CartesianGrid, Cell, ErrorBar, Legend, Line, LineChart, ReferenceArea, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis,
} from 'recharts';
import { ChartFrame, fmtTick, roleColor, stats, type ChartData } from './ChartFrame';

/** The model page's charts. Each receives plain rows from the server component. */

import { useMemo } from 'react';
import { chartLayersOf, type ChartLayer } from '@/db/queries/layer-columns';
import { usePageView } from '../page-view';
import type { ExpertBandPoint } from '@/db/queries/model-page';

export type { ChartLayer, ExpertBandPoint };

function byRole(layers: ChartLayer[]) {
  const groups = new Map<string, ChartLayer[]>();
  for (const l of layers) groups.set(l.role, [...(groups.get(l.role) ?? []), l]);
  return [...groups.entries()];
}

/** x: relative depth in [0, 1] when known, else position in the checkpoint. */
function depthOf(l: ChartLayer, maxOrdinal: number) {
  if (l.relative_depth != null) return l.relative_depth;
  return maxOrdinal > 0 ? l.ordinal / maxOrdinal : 0;
}

export function AlphaByDepthChart({ layers, bands = [] }: { layers: ChartLayer[]; bands?: ExpertBandPoint[] }) {
  const maxOrdinal = Math.max(0, ...layers.map((l) => l.ordinal));
  const data: ChartData = {
    caption: 'Alpha per role (layers, min, median, max) and per expert band',
    columns: ['role', 'layers', 'min α', 'median α', 'max α'],
    rows: [
      ...byRole(layers).map(([role, list]) => {
        const s = stats(list.map((l) => l.alpha));
        return [role, s.n, s.min, s.median, s.max];
      }),
      ...bands.map((b) => [b.name, null, b.y - b.err[0], b.y, b.y + b.err[1]]),
    ],
  };
  return (
    <ChartFrame
      data={data}
      title="Alpha per layer by depth"
      label={`Scatter of alpha for ${layers.length} layers${bands.length ? ` and ${bands.length} expert bands` : ''} against relative depth, coloured by role`}
      testId="chart-alpha-depth"
      caption={
        bands.length
          ? 'Shaded: the healthy band 2 ≤ α ≤ 6. Colours are layer roles. Experts: one point per block and projection at the median α over the experts, the bar spans min to max.'
          : 'Shaded: the healthy band 2 ≤ α ≤ 6. Colours are layer roles (q/k/v/o, gate/up/down, fused, embedding).'
      }
    >
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <ReferenceArea y1={2} y2={6} fill="#2b8a3e" fillOpacity={0.06} />
        <XAxis type="number" dataKey="x" name="relative depth" domain={[0, 1]} tickFormatter={fmtTick} />
        <YAxis type="number" dataKey="y" name="alpha" width={40} tickFormatter={fmtTick} />
        <ZAxis range={[28, 28]} />
        <Tooltip cursor={{ strokeDasharray: '3 3' }} formatter={(v: any) => fmtTick(Number(v))} />
        <Legend />
        {byRole(layers).map(([role, list]) => (
          <Scatter key={role} name={role} data={list.map((l) => ({ x: depthOf(l, maxOrdinal), y: l.alpha, name: l.name }))} fill={roleColor(role)} isAnimationActive={false} />
        ))}
        {bands.length > 0 && (
          <Scatter name="experts (median, min–max)" data={bands} fill={roleColor('expert')} shape="diamond" isAnimationActive={false} data-testid="expert-bands">
            <ErrorBar dataKey="err" direction="y" width={4} stroke={roleColor('expert')} strokeWidth={1.5} isAnimationActive={false} />
          </Scatter>
        )}
      </ScatterChart>
    </ChartFrame>
  );
}

export function AlphaHistogram({ layers }: { layers: ChartLayer[] }) {
  const alphas = layers.map((l) => l.alpha).filter((a) => Number.isFinite(a));
  const lo = Math.floor(Math.min(...alphas, 1));
  const hi = Math.ceil(Math.max(...alphas, 8));
  const width = (hi - lo) / Math.min(30, Math.max(8, Math.round(Math.sqrt(alphas.length) * 2)));
  const bins: { from: number; label: string; count: number }[] = [];
  for (let x = lo; x < hi - 1e-9; x += width) bins.push({ from: x, label: x.toFixed(1), count: 0 });
  for (const a of alphas) bins[Math.min(bins.length - 1, Math.floor((a - lo) / width))].count++;
  return (
    <ChartFrame
      data={{ caption: 'Layers per alpha bin', columns: ['α from', 'α to', 'layers'], rows: bins.map((b) => [b.label, (b.from + width).toFixed(1), b.count]) }}
      title="Alpha histogram" label={`Histogram of alpha over ${alphas.length} layers`} testId="chart-alpha-hist" caption="Green bars: inside 2–6; orange: above 6 (under-trained); red: below 2.">
      <BarChart data={bins} margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="label" interval="preserveStartEnd" />
        <YAxis allowDecimals={false} width={32} />
        <Tooltip />
        <Bar dataKey="count" name="layers" isAnimationActive={false}>
          {bins.map((b) => (
            <Cell key={b.label} fill={b.from + width <= 2 ? '#e03131' : b.from >= 6 ? '#f08c00' : '#2f9e44'} />
          ))}
        </Bar>
      </BarChart>
    </ChartFrame>
  );
}

export function AlphaVsDChart({ layers }: { layers: ChartLayer[] }) {
  const pts = layers.filter((l) => l.D != null);
  return (
    <ChartFrame
      data={{
        caption: 'Alpha and KS distance D per role (medians and range of D)',
        columns: ['role', 'layers', 'median α', 'median D', 'min D', 'max D'],
        rows: byRole(pts).map(([role, list]) => {
          const d = stats(list.map((l) => l.D));
          return [role, list.length, stats(list.map((l) => l.alpha)).median, d.median, d.min, d.max];
        }),
      }}
      title="Alpha vs D" label={`Scatter of alpha against KS distance D for ${pts.length} layers`} testId="chart-alpha-d" caption="D is the Kolmogorov–Smirnov distance of the fit: low D means the power law describes the tail well.">
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name="alpha" tickFormatter={fmtTick} domain={['auto', 'auto']} />
        <YAxis type="number" dataKey="y" name="D" width={44} tickFormatter={fmtTick} domain={['auto', 'auto']} />
        <ZAxis range={[28, 28]} />
        <Tooltip formatter={(v: any) => fmtTick(Number(v))} />
        <Legend />
        {byRole(pts).map(([role, list]) => (
          <Scatter key={role} name={role} data={list.map((l) => ({ x: l.alpha, y: l.D, name: l.name }))} fill={roleColor(role)} isAnimationActive={false} />
        ))}
      </ScatterChart>
    </ChartFrame>
  );
}

/** ΔλMin per layer (SETOL): log10(xmin of the power-law fit) − log10(λ where det X = 1). Near 0 = ideal. */
export function DetXChart({ layers }: { layers: ChartLayer[] }) {
  const data = layers
    .filter((l) => l.detX_val != null && l.detX_val > 0 && l.xmin != null && l.xmin > 0)
    .map((l) => ({ ordinal: l.ordinal, name: l.name, delta: Math.log10(l.xmin!) - Math.log10(l.detX_val!) }));
  return (
    <ChartFrame
      data={(() => {
        const s = stats(data.map((d) => d.delta));
        return { caption: 'Δ log10 λmin over the layers', columns: ['layers', 'min', 'median', 'max'], rows: s.n ? [[s.n, s.min, s.median, s.max]] : [] };
      })()}
      title="ΔλMin per layer (detX)"
      label={`Bar chart of log10 xmin minus log10 detX eigenvalue for ${data.length} layers`}
      testId="chart-detx"
      caption="log10(xmin) − log10(λ at det X = 1), as in the SETOL slides: near 0 where the power-law tail and the det X = 1 condition agree."
    >
      <BarChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="ordinal" name="layer" />
        <YAxis width={44} tickFormatter={fmtTick} />
        <Tooltip labelFormatter={(_, p: any) => p?.[0]?.payload?.name ?? ''} formatter={(v: any) => fmtTick(Number(v))} />
        <Bar dataKey="delta" name="Δ log10 λmin" fill="#7048e8" isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}

const STEP_COLORS = ['#adb5bd', '#74c0fc', '#4dabf7', '#339af0', '#1c7ed6', '#1864ab', '#0b3d91'];

export function CheckpointSeriesChart({ steps, layers }: { steps: { step: number; ref: string }[]; layers: { name: string; alphas: (number | null)[] }[] }) {
  const data = layers.map((l, i) => Object.fromEntries([['i', i], ['name', l.name], ...steps.map((s, j) => [`s${s.step}`, l.alphas[j]])]));
  return (
    <ChartFrame
      data={{
        caption: 'Alpha per training step (layers, mean, median)',
        columns: ['step', 'layers', 'mean α', 'median α'],
        rows: steps.map((s, j) => {
          const v = layers.map((l) => l.alphas[j]).filter((a): a is number => a != null);
          return [`step ${s.step}`, v.length, v.length ? v.reduce((x, y) => x + y, 0) / v.length : null, stats(v).median];
        }),
      }}
      title="Alpha per layer over training steps"
      label={`Line chart of alpha per layer for ${steps.length} training checkpoints`}
      testId="chart-series"
      caption="One line per checkpoint (darker = later); x is the layer’s position in the checkpoint."
    >
      <LineChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="i" name="layer" />
        <YAxis width={40} tickFormatter={fmtTick} />
        <Tooltip labelFormatter={(_, p: any) => p?.[0]?.payload?.name ?? ''} formatter={(v: any) => fmtTick(Number(v))} />
        <Legend />
        {steps.map((s, j) => (
          <Line key={s.step} type="monotone" dataKey={`s${s.step}`} name={`step ${s.step}`} stroke={STEP_COLORS[Math.round((j / Math.max(1, steps.length - 1)) * (STEP_COLORS.length - 1))]} dot={false} connectNulls isAnimationActive={false} />
        ))}
      </LineChart>
    </ChartFrame>
  );
}

/**
 * The model page's layer charts from the page view's columns (fetched by URL, shared with the ESD viewer and the
 * layer table): decoded once here, so each layer's numbers travel once (not once per chart, nor as one object per
 * layer). Layers drawn inside an expert band are left out of the depth chart's single points.
 */
export function ModelLayerCharts({ viewUrl }: { viewUrl: string }) {
  // Charts draw in the browser only (a chart's size is the browser's): the page sends the view's URL, no data and
  // no markup, so a 2,000-row MoE page costs the server what a 30-row one does.
  const { view, error } = usePageView(viewUrl);
  const all = useMemo(() => (view ? chartLayersOf(view.columns) : []), [view]);
  const unbanded = useMemo(() => (view && view.bandedOrdinals.length ? chartLayersOf(view.columns, new Set(view.bandedOrdinals)) : all), [view, all]);
  if (error) return <div className="banner error" role="alert">Could not load the charts&apos; data: {error}</div>;
  if (!view) return <div className="grid two" aria-busy="true" data-testid="charts-loading" style={{ minHeight: 620 }} />;
  return (
    <div className="grid two">
      <AlphaByDepthChart layers={unbanded} bands={view.bands} />
      <AlphaHistogram layers={all} />
      <AlphaVsDChart layers={all} />
      {view.hasDetX && <DetXChart layers={all} />}
    </div>
  );
}
