'use client';

import { CartesianGrid, Legend, ReferenceLine, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { ChartFrame, fmtTick, stats } from './ChartFrame';

export interface ComparePointLite {
  name: string;
  group: string;
  relative_depth: number | null;
  alpha: number;
}

const A_COLOR = '#4263eb';
const B_COLOR = '#e8590c';

export function CompareDepthChart({ group, label, a, b, aName, bName }: {
  group: string; label: string; a: ComparePointLite[]; b: ComparePointLite[]; aName: string; bName: string;
}) {
  const pts = (list: ComparePointLite[]) => list.filter((p) => p.relative_depth != null).map((p) => ({ x: p.relative_depth, y: p.alpha, name: p.name }));
  return (
    <ChartFrame
      title={`α by depth — ${label}`}
      label={`Alpha against relative depth for ${label} layers of ${aName} and ${bName}`}
      testId={`chart-compare-${group}`}
      caption={`Circles: ${aName}; triangles: ${bName}. x is the layer’s relative depth.`}
      data={{
        caption: `Alpha of ${label} layers per model`,
        columns: ['model', 'layers', 'min α', 'median α', 'max α'],
        rows: [[aName, a], [bName, b]].map(([name, list]) => {
          const s = stats((list as ComparePointLite[]).map((p) => p.alpha));
          return [name as string, s.n, s.min, s.median, s.max];
        }),
      }}
    >
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name="relative depth" domain={[0, 1]} tickFormatter={fmtTick} />
        <YAxis type="number" dataKey="y" name="alpha" width={40} tickFormatter={fmtTick} />
        <ZAxis range={[26, 26]} />
        <Tooltip formatter={(v: any) => fmtTick(Number(v))} />
        <Legend />
        <Scatter name={aName} data={pts(a)} fill={A_COLOR} shape="circle" isAnimationActive={false} />
        <Scatter name={bName} data={pts(b)} fill={B_COLOR} shape="triangle" isAnimationActive={false} />
      </ScatterChart>
    </ChartFrame>
  );
}

export function DiagonalChart({ rows, aName, bName }: { rows: { slot: string; a: number; b: number }[]; aName: string; bName: string }) {
  const all = rows.flatMap((r) => [r.a, r.b]);
  const lo = Math.floor(Math.min(...all, 2));
  const hi = Math.ceil(Math.max(...all, 6));
  return (
    <ChartFrame
      title="α vs α (aligned layers)"
      label={`Scatter of aligned layer alphas: ${aName} on x, ${bName} on y, with the diagonal`}
      testId="chart-compare-diagonal"
      data={{
        caption: 'Aligned layers above, on and below the diagonal, with median alphas',
        columns: ['aligned layers', `${bName} larger`, 'equal', `${aName} larger`, `median α ${aName}`, `median α ${bName}`],
        rows: [[rows.length, rows.filter((r) => r.b > r.a).length, rows.filter((r) => r.b === r.a).length, rows.filter((r) => r.b < r.a).length, stats(rows.map((r) => r.a)).median, stats(rows.map((r) => r.b)).median]],
      }}
      caption={`Points above the diagonal: ${bName} has the larger alpha at that layer.`}
    >
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name={aName} domain={[lo, hi]} tickFormatter={fmtTick} />
        <YAxis type="number" dataKey="y" name={bName} domain={[lo, hi]} width={40} tickFormatter={fmtTick} />
        <ZAxis range={[26, 26]} />
        <Tooltip formatter={(v: any) => fmtTick(Number(v))} />
        <ReferenceLine segment={[{ x: lo, y: lo }, { x: hi, y: hi }]} stroke="#868e96" strokeDasharray="4 3" />
        <Scatter name="aligned layers" data={rows.map((r) => ({ x: r.a, y: r.b, slot: r.slot }))} fill="#7048e8" isAnimationActive={false} />
      </ScatterChart>
    </ChartFrame>
  );
}
