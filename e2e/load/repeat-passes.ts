import http from 'node:http';
import os from 'node:os';
import autocannon from 'autocannon';
import { LIMITS_ABOVE_LOAD, serverEnv, withServer, type BenchDb } from './server';

/**
 * BENCH_MODE=repeat: the bench's original passes, each hammering the same few URLs (so the short-lived read cache
 * answers nearly everything): the default configuration, the flood pass (default budgets), and the uncached pass.
 */

export interface RepeatOptions {
  seconds: number;
  connections: number;
  /** A seeded model (benchModelId(1, models)). */
  modelId: string;
}

interface Row {
  target: string;
  reqs: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function measure(base: string, target: string, o: RepeatOptions): Promise<Row> {
  // Warm up: open the database, fill the read cache, and let the JIT settle under the same load shape.
  for (let i = 0; i < 5; i++) await (await fetch(base + target)).arrayBuffer();
  await autocannon({ url: base + target, connections: o.connections, duration: 3 });
  const result = await autocannon({ url: base + target, connections: o.connections, duration: o.seconds });
  return {
    target,
    reqs: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

function print(title: string, rows: Row[], o: RepeatOptions) {
  const load = os.loadavg().map((v) => v.toFixed(1)).join(' ');
  console.log(`\n${title}  (${o.connections} connections, ${o.seconds} s each; ${os.cpus().length} CPUs, load average now ${load})`);
  console.log('target'.padEnd(52), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'errors'.padStart(7));
  for (const r of rows) {
    console.log(r.target.padEnd(52), r.reqs.toFixed(0).padStart(8), String(r.p50).padStart(8), String(r.p99).padStart(8), String(r.errors + r.non2xx).padStart(7));
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] : NaN;
}

/** A client on its own source address issuing `perSecond` sequential GETs of `paths` (in turn) for `seconds`. */
async function paceClient(base: string, paths: string[], perSecond: number, seconds: number, localAddress: string) {
  const agent = new http.Agent({ keepAlive: true, localAddress } as http.AgentOptions);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const started = performance.now();
    const status = await new Promise<number>((resolve) => {
      http
        .get(base + paths[i % paths.length], { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', () => resolve(0));
    });
    latencies.push(performance.now() - started);
    statuses[status] = (statuses[status] ?? 0) + 1;
    const wait = 1000 / perSecond - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { n: latencies.length, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: latencies.at(-1) ?? NaN, statuses };
}

/** Default budgets: a flood from one address is answered 429 while another client keeps its latency. */
export async function floodPass(db: BenchDb, o: RepeatOptions): Promise<boolean> {
  const { seconds: SECONDS, connections: CONNECTIONS } = o;
  const env = serverEnv(db);
  for (const k of Object.keys(env)) if (k.startsWith('RATE_LIMIT') || k.startsWith('TRUST_PROXY')) delete env[k];
  return withServer(env, '/api/health', async (flooded) => {
    // Same server address, another source address: Linux routes all of 127/8 over loopback.
    const normalBase = flooded;
    // The normal client stays inside its own budget (15/s against 20/s); pages are timed in a separate phase, since
    // a page render holds the event loop for a while and would otherwise show up in the API client's tail.
    const flood = (seconds: number) => autocannon({ url: `${flooded}/api/v1/models`, connections: CONNECTIONS, duration: seconds, workers: 1 });
    const alone = await paceClient(normalBase, ['/api/v1/models'], 15, SECONDS, '127.0.0.2');
    const [floodApi, normalApi] = await Promise.all([flood(SECONDS), paceClient(normalBase, ['/api/v1/models'], 15, SECONDS - 1, '127.0.0.2')]);
    const [, normalPages] = await Promise.all([flood(SECONDS), paceClient(normalBase, ['/', `/models/${o.modelId}`], 2, SECONDS - 1, '127.0.0.2')]);
    const load = os.loadavg().map((v) => v.toFixed(1)).join(' ');
    const total = floodApi.requests.total;
    const limited = floodApi.statusCodeStats?.['429']?.count ?? floodApi.non2xx;
    console.log(`
flood pass (${db.label}): default budgets (API 20/s, burst 100 per client); ${os.cpus().length} CPUs, load average now ${load}`);
    console.log(`  flood from 127.0.0.1 (${CONNECTIONS} connections, ${SECONDS} s): ${(total / SECONDS).toFixed(0)} req/s, ${limited} of ${total} answered 429, latency p50 ${floodApi.latency.p50} ms / p99 ${floodApi.latency.p99} ms, errors ${floodApi.errors}`);
    const line = (label: string, r: Awaited<ReturnType<typeof paceClient>>) =>
      console.log(`  ${label.padEnd(44)} n=${String(r.n).padStart(4)}  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  max ${r.max.toFixed(1).padStart(6)} ms  statuses ${JSON.stringify(r.statuses)}`);
    line('normal client, /api/v1/models alone', alone);
    line('normal client, /api/v1/models during flood', normalApi);
    line('normal client, pages during flood', normalPages);
    const ok = limited > 0 && normalApi.p99 < 100 && Object.keys(normalApi.statuses).every((k) => k === '200');
    const pagesOk = normalPages.p99 < 300 && Object.keys(normalPages.statuses).every((k) => k === '200');
    console.log(`  targets: flood limited and the normal client's /api/v1/models p99 < 100 ms with only 200s: ${ok ? 'met' : 'MISSED'}; its pages p99 < 300 ms: ${pagesOk ? 'met' : 'MISSED'}`);
    return ok;
  });
}

async function pass(db: BenchDb, label: string, extraEnv: Record<string, string>, o: RepeatOptions): Promise<Row[]> {
  return withServer(serverEnv(db, { ...LIMITS_ABOVE_LOAD, ...extraEnv }), '/api/v1/openapi.json', async (base) => {
    const targets = [
      '/api/v1/models',
      '/api/v1/models?sort=mean_D&dir=desc&page=3&family=llama',
      `/api/v1/models/${o.modelId}/layers`,
      '/',
      `/models/${o.modelId}`,
    ];
    const rows: Row[] = [];
    for (const t of targets) rows.push(await measure(base, t, o));
    print(`${label}, ${db.label}`, rows, o);
    return rows;
  });
}

/** The default pass, then (unless skipped) the flood pass and the uncached pass, as the bench always ran them. */
export async function repeatPasses(db: BenchDb, o: RepeatOptions): Promise<void> {
  const cached = await pass(db, 'default (read cache on; rate limiter on, budgets above the load)', {}, o);
  const api = cached.find((r) => r.target === '/api/v1/models')!;
  const pages = cached.filter((r) => !r.target.startsWith('/api/'));
  const met = { api: api.reqs >= 300 && api.p99 < 100, pages: pages.every((p) => p.p99 < 300) };
  console.log(`\ntargets: /api/v1/models ≥300 req/s & p99<100 ms: ${met.api ? 'met' : 'MISSED'}; pages p99<300 ms: ${met.pages ? 'met' : 'MISSED'}`);
  if (process.env.BENCH_SKIP_FLOOD !== '1') await floodPass(db, o);
  if (process.env.BENCH_SKIP_UNCACHED !== '1') await pass(db, 'uncached (READ_CACHE_TTL_MS=0: every request runs its SQL)', { READ_CACHE_TTL_MS: '0' }, o);
}
