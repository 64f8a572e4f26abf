import os from 'node:os';
import autocannon from 'autocannon';
import type { LongTailTarget } from './long-tail-urls';
import { LIMITS_ABOVE_LOAD, serverEnv, withServer, type BenchDb } from './server';

/**
 * BENCH_MODE=long-tail: every request a different URL of a target's list, with the per-URL read cache and the
 * response-body memo off (READ_CACHE_TTL_MS=0), so each one runs its SQL and renders. The connections share one
 * counter walking the (shuffled) list, so no two of them ask for the same URL at the same moment.
 */

export interface LongTailOptions {
  seconds: number;
  warmupSeconds: number;
  connections: number;
}

export interface LongTailRow {
  target: LongTailTarget;
  reqs: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Status codes other than 2xx, and error codes (ECONNRESET, timeouts…), seen in the warm-up or the measurement. */
  otherStatuses: Record<string, number>;
  met: boolean;
}

function otherStatuses(into: Record<string, number>, stats: Record<string, { count: number }> | undefined) {
  for (const [code, { count }] of Object.entries(stats ?? {})) if (!code.startsWith('2')) into[code] = (into[code] ?? 0) + count;
}

async function measure(base: string, target: LongTailTarget, o: LongTailOptions): Promise<LongTailRow> {
  let next = 0;
  const requests = [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: target.paths[next++ % target.paths.length] }) }];
  const others: Record<string, number> = {};
  const run = (duration: number) => {
    const instance = autocannon({ url: base, connections: o.connections, duration, requests });
    instance.on('reqError', (err) => {
      const code = err.code ?? err.name ?? 'error';
      others[code] = (others[code] ?? 0) + 1;
    });
    return instance;
  };
  // Warm-up under the same traffic (the walk goes on from where it stops): JIT, connection pools, query plans.
  const warm = await run(o.warmupSeconds);
  otherStatuses(others, warm.statusCodeStats);
  const result = await run(o.seconds);
  otherStatuses(others, result.statusCodeStats);
  // A target expecting another status (the 404 floor) counts every other answer as wrong.
  const wrong = target.status === undefined ? result.non2xx : result.requests.total - (result.statusCodeStats?.[String(target.status)]?.count ?? 0);
  if (target.status !== undefined) delete others[String(target.status)];
  const row = { target, reqs: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: wrong };
  const met = row.reqs >= target.minReqs && row.p99 < target.maxP99 && row.errors === 0 && row.non2xx === 0;
  return { ...row, otherStatuses: others, met };
}

const targetText = (t: LongTailTarget) =>
  t.maxP99 === Infinity ? `reference, ${t.status ?? '2xx'}` : `${t.minReqs ? `≥${t.minReqs} req/s, ` : ''}p99<${t.maxP99} ms`;

export function formatLongTail(title: string, rows: LongTailRow[], o: LongTailOptions): string {
  const load = os.loadavg().map((v) => v.toFixed(1)).join(' ');
  const lines = [
    `\n${title}`,
    `  (${o.connections} connections, ${o.warmupSeconds} s warm-up + ${o.seconds} s per target; ${os.cpus().length} CPUs, load average now ${load})`,
    `${'target'.padEnd(28)} ${'URLs'.padStart(5)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'err/non-2xx'.padStart(12)}  target`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.target.name.padEnd(28)} ${String(r.target.paths.length).padStart(5)} ${r.reqs.toFixed(0).padStart(7)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${`${r.errors}/${r.non2xx}`.padStart(12)}  ${targetText(r.target).padEnd(24)} ${r.target.maxP99 === Infinity ? (r.met ? '' : 'WRONG ANSWERS') : r.met ? 'met' : 'MISSED'}`,
    );
    if (Object.keys(r.otherStatuses).length) lines.push(`  ${r.target.name}: non-2xx statuses and errors ${JSON.stringify(r.otherStatuses)} (404: the URL list is wrong)`);
  }
  return lines.join('\n');
}

/** One long-tail pass against a fresh `next start` on `db`; prints and returns the table. */
export async function longTailPass(db: BenchDb, targets: LongTailTarget[], o: LongTailOptions): Promise<string> {
  const env = serverEnv(db, { ...LIMITS_ABOVE_LOAD, READ_CACHE_TTL_MS: '0' });
  return withServer(env, '/api/v1/openapi.json', async (base) => {
    const rows: LongTailRow[] = [];
    for (const t of targets) rows.push(await measure(base, t, o));
    const text = formatLongTail(`long tail, ${db.label} (READ_CACHE_TTL_MS=0; rate limiter on, budgets above the load)`, rows, o);
    console.log(text);
    return text;
  });
}
