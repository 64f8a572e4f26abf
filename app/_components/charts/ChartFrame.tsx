'use client';

import { ResponsiveContainer } from 'recharts';

/**
 * A titled chart: the plot area has role="img" with an accessible name and a data-testid (e2e tests count its
 * SVG marks to fail on empty charts). Children are one recharts chart element.
 */
export function ChartFrame({
  title, label, testId, caption, children, height,
}: { title: string; label: string; testId: string; caption?: React.ReactNode; children: React.ReactElement; height?: number }) {
  return (
    <figure className="chart">
      <h3>{title}</h3>
      <div className="chart-box" role="img" aria-label={label} data-testid={testId} style={height ? { height } : undefined}>
        <ResponsiveContainer width="100%" height="100%" minWidth={200}>
          {children}
        </ResponsiveContainer>
      </div>
      {caption && <figcaption>{caption}</figcaption>}
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
