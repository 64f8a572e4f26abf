'use client';

import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { ChartFrame, fmtTick, stats } from './ChartFrame';

export function CorrelationChart({ points, metric, benchmark, rho }: { points: { id: string; metric: number; score: number }[]; metric: string; benchmark: string; rho: number | null }) {
  return (
    <ChartFrame
      title={`${metric} vs ${benchmark}`}
      label={`Scatter of ${metric} against ${benchmark} for ${points.length} models; Spearman rank correlation ${rho == null ? 'undefined' : rho.toFixed(2)}`}
      testId="chart-correlation"
      height={360}
      caption={`One point per model: ${metric} on x, ${benchmark} on y. The table below lists every model.`}
      data={(() => {
        const m = stats(points.map((p) => p.metric));
        const s = stats(points.map((p) => p.score));
        return {
          caption: `Range of ${metric} and ${benchmark} over ${points.length} models`,
          columns: ['', 'min', 'median', 'max'],
          rows: [[metric, m.min, m.median, m.max], [benchmark, s.min, s.median, s.max]],
        };
      })()}
    >
      <ScatterChart margin={{ top: 8, right: 12, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" dataKey="x" name={metric} domain={['auto', 'auto']} tickFormatter={fmtTick} />
        <YAxis type="number" dataKey="y" name={benchmark} domain={['auto', 'auto']} width={44} tickFormatter={fmtTick} />
        <ZAxis range={[40, 40]} />
        <Tooltip formatter={(v: any) => fmtTick(Number(v))} labelFormatter={() => ''} />
        <Scatter name="models" data={points.map((p) => ({ x: p.metric, y: p.score, id: p.id }))} fill="#4263eb" isAnimationActive={false} />
      </ScatterChart>
    </ChartFrame>
  );
}
