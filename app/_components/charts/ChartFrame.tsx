'use client';

import { useId } from 'react';
import { ResponsiveContainer } from 'recharts';

/** A text alternative for a chart: a small table a screen reader can read (visually hidden). */
export interface ChartData {
  caption: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** Median, min and max of finite values (null when there are none). */
export function stats(values: (number | null | undefined)[]): { n: number; min: number | null; median: number | null; max: number | null } {
  const v = values.filter((x): x is number => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, min: null, median: null, max: null };
  const m = v.length >> 1;
  return { n: v.length, min: v[0], median: v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2, max: v[v.length - 1] };
}

const cellText = (v: string | number | null) => (v == null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);

/**
 * A titled chart in a figure: the plot area has role="img" with an accessible name and a data-testid (e2e tests
 * count its SVG marks to fail on empty charts); a visually hidden table carries the chart's numbers for screen
 * readers, and the figcaption says how to read it. Children are one recharts chart element.
 */
export function ChartFrame({
  title, label, testId, caption, children, height, data,
}: { title: string; label: string; testId: string; caption?: React.ReactNode; children: React.ReactElement; height?: number; data?: ChartData }) {
  const id = useId();
  return (
    <figure className="chart" aria-labelledby={`${id}-t`} aria-describedby={`${id}-c`}>
      <h3 id={`${id}-t`}>{title}</h3>
      <div className="chart-box" role="img" aria-label={label} data-testid={testId} style={height ? { height } : undefined}>
        <ResponsiveContainer width="100%" height="100%" minWidth={200}>
          {children}
        </ResponsiveContainer>
      </div>
      {data && data.rows.length > 0 && (
        <table className="sr-only" data-testid={`${testId}-data`}>
          <caption>{data.caption}</caption>
          <thead>
            <tr>
              {data.columns.map((c) => (
                <th key={c} scope="col">{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.rows.map((r, i) => (
              <tr key={i}>
                {r.map((v, j) => (j === 0 ? <th key={j} scope="row">{cellText(v)}</th> : <td key={j}>{cellText(v)}</td>))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <figcaption id={`${id}-c`}>{caption ?? label}</figcaption>
    </figure>
  );
}

export const ROLE_COLORS: Record<string, string> = {
  q: '#4263eb', k: '#1c7ed6', v: '#15aabf', o: '#7048e8', qkv: '#ae3ec9',
  q_a: '#3b5bdb', q_b: '#5c7cfa', kv_a: '#1098ad', kv_b: '#66d9e8',
  gate: '#f08c00', up: '#e8590c', down: '#c92a2a', gate_up: '#d6336c',
  expert: '#e67700', shared_expert: '#a61e4d', router: '#495057', vision: '#0ca678',
  embedding: '#2b8a3e', lm_head: '#5c940d', other: '#868e96',
};

export const roleColor = (role: string) => ROLE_COLORS[role] ?? ROLE_COLORS.other;

export const fmtTick = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(Math.round(v * 100) / 100));

/** Tick values for a log axis over [lo, hi]: decades, plus 2 and 5 multiples when the range spans few decades. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [];
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const mults = b - a <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
  }
  return out;
}
