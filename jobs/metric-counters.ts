/**
 * Process-local event counts read by the Prometheus registry (jobs/metrics.ts) at scrape time. Kept on globalThis
 * and free of imports, so any module (bundled into a route, the proxy or the worker) can count without pulling in
 * prom-client; every copy of this module in one process shares the same numbers.
 */

const KEY = Symbol.for('alphaboard.metric-counters');

export type CounterName = 'layers_stored' | 'hub_errors' | 'rate_limited';

type Counts = Record<CounterName, Record<string, number>>;

export function counts(): Counts {
  return ((globalThis as any)[KEY] ??= { layers_stored: {}, hub_errors: {}, rate_limited: {} });
}

export function countEvent(name: CounterName, label: string, n = 1): void {
  const c = counts()[name];
  c[label] = (c[label] ?? 0) + n;
}
