'use client';

import { CartesianGrid, Legend, ReferenceArea, ReferenceLine, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { ChartFrame, fmtTick, roleColor, stats, type ChartData } from './ChartFrame';

/** One role's rows along depth (from the delta view's `by_depth`). */
export interface DeltaDepthRole {
  role: string;
  points: Array<{ x: number; delta_alpha: number | null; alpha: number | null; tensor: string }>;
}

function roleTable(series: DeltaDepthRole[], key: 'delta_alpha' | 'alpha', what: string): ChartData {
  return {
    caption: `${what} per role (rows, min, median, max)`,
    columns: ['role', 'rows', `min ${what}`, `median ${what}`, `max ${what}`],
    rows: series.map((s) => {
      const st = stats(s.points.map((p) => p[key]));
      return [s.role, st.n, st.min, st.median, st.max];
    }),
  };
}

/** Δalpha = α(W) − α(W_base) per layer against relative depth, one colour per role; 0 = training left α as it was. */
export function DeltaAlphaByDepthChart({ series }: { series: DeltaDepthRole[] }) {
  const shown = series.map((s) => ({ ...s, points: s.points.filter((p) => p.delta_alpha != null) })).filter((s) => s.points.length > 0);
  const n = shown.reduce((k, s) => k + s.points.length, 0);
  return (
    <ChartFrame
      data={roleTable(shown, 'delta_alpha', 'Δα')}
      title="Δalpha by depth"
      label={`Scatter of alpha change (fine-tune minus base) for ${n} layers against relative depth, coloured by role`}
      testId="chart-delta-alpha-depth"
      caption="Δα = α(W) − α(W_base) per layer. Below the zero line the fine-tune’s layer is more heavy-tailed than the base’s; above, less. Colours are layer roles."
    >
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name="relative depth" domain={[0, 1]} tickFormatter={fmtTick} />
        <YAxis type="number" dataKey="y" name="Δα" width={48} tickFormatter={fmtTick} />
        <ZAxis range={[28, 28]} />
        <ReferenceLine y={0} stroke="#495057" />
        <Tooltip cursor={{ strokeDasharray: '3 3' }} formatter={(v: any) => fmtTick(Number(v))} />
        <Legend />
        {shown.map((s) => (
          <Scatter key={s.role} name={s.role} data={s.points.map((p) => ({ x: p.x, y: p.delta_alpha, name: p.tensor }))} fill={roleColor(s.role)} isAnimationActive={false} />
        ))}
      </ScatterChart>
    </ChartFrame>
  );
}

/** α of ΔW itself per layer against relative depth (delta and adapter analyses). */
export function DeltaWAlphaByDepthChart({ series }: { series: DeltaDepthRole[] }) {
  const shown = series.map((s) => ({ ...s, points: s.points.filter((p) => p.alpha != null) })).filter((s) => s.points.length > 0);
  const n = shown.reduce((k, s) => k + s.points.length, 0);
  return (
    <ChartFrame
      data={roleTable(shown, 'alpha', 'ΔW α')}
      title="ΔW alpha by depth"
      label={`Scatter of the power-law alpha of the weight change for ${n} layers against relative depth, coloured by role`}
      testId="chart-delta-w-alpha"
      caption="α fitted to the ESD of ΔW itself. A small α (a few large directions) is a low-rank, structured update; a large α is closer to noise. Shaded: 2 ≤ α ≤ 6."
    >
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <ReferenceArea y1={2} y2={6} fill="#2b8a3e" fillOpacity={0.06} />
        <XAxis type="number" dataKey="x" name="relative depth" domain={[0, 1]} tickFormatter={fmtTick} />
        <YAxis type="number" dataKey="y" name="ΔW α" width={40} tickFormatter={fmtTick} />
        <ZAxis range={[28, 28]} />
        <Tooltip cursor={{ strokeDasharray: '3 3' }} formatter={(v: any) => fmtTick(Number(v))} />
        <Legend />
        {shown.map((s) => (
          <Scatter key={s.role} name={s.role} data={s.points.map((p) => ({ x: p.x, y: p.alpha, name: p.tensor }))} fill={roleColor(s.role)} isAnimationActive={false} />
        ))}
      </ScatterChart>
    </ChartFrame>
  );
}
