import http from 'node:http';
import client from 'prom-client';
import { getSql } from '@/db/client';
import { classify, clientKey, PEER_HEADER, rateLimitConfig, TokenBuckets, tooManyRequests } from '@/app/_lib/rate-limit';
import { SECURITY_HEADERS, apiCsp } from '@/app/_lib/security-headers';
import { getHubStatus } from './hub-status';
import { countEvent, counts } from './metric-counters';

/**
 * Prometheus metrics for operators (prom-client), one registry per process kept on globalThis so that the HTTP
 * observer (installed at start-up) and the /metrics route share it. Web processes serve it at GET /metrics; a
 * standalone worker (`npm run worker`) on METRICS_PORT (9464). Board-wide figures (analyses by status, queue depth,
 * oldest queued job, heartbeats of running analyses) are read from the database at scrape time, so every process
 * reports the same values; counters (HTTP requests, layers stored, Hub errors, 429s) are this process's own.
 */

interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  heartbeat: client.Gauge;
}

const KEY = Symbol.for('alphaboard.metrics');

/** Route label: the route pattern, not the URL, so label values stay few. */
export function routeLabel(pathname: string): string {
  if (pathname.startsWith('/_next/static/')) return '/_next/static';
  if (pathname.startsWith('/_next/')) return '/_next/other';
  if (pathname.startsWith('/badge/')) return '/badge/[owner]/[name].svg';
  let m = pathname.match(/^\/api\/v1\/models\/[^/]+\/[^/]+(\/.*)?$/);
  if (m) {
    const rest = m[1] ?? '';
    if (rest === '') return '/api/v1/models/[owner]/[name]';
    if (rest === '/layers' || rest === '/delta') return `/api/v1/models/[owner]/[name]${rest}`;
    if (/^\/layers\/[^/]+\/esd$/.test(rest)) return '/api/v1/models/[owner]/[name]/layers/[layer]/esd';
    return '/api/v1/models/other';
  }
  m = pathname.match(/^\/models\/[^/]+\/[^/]+\/?$/);
  if (m) return '/models/[owner]/[name]';
  const fixed = ['/', '/compare', '/correlations', '/metrics', '/api/health', '/api/ready', '/api/v1/models', '/api/v1/compare',
    '/api/v1/search', '/api/v1/analyses', '/api/v1/webhooks/hub', '/api/v1/openapi.json', '/icon.svg', '/favicon.ico'];
  return fixed.includes(pathname) ? pathname : 'other';
}

async function rows(text: string): Promise<any[]> {
  const sql = await getSql();
  return (await sql.query(text)).rows;
}

function create(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'alphaboard_' });

  const httpDuration = new client.Histogram({
    name: 'alphaboard_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const heartbeat = new client.Gauge({
    name: 'alphaboard_process_heartbeat_timestamp_seconds',
    help: 'Unix time of this process event loop\'s last heartbeat (every 5 s); stale means the process is stuck',
    registers: [registry],
  });
  const beat = () => heartbeat.set(Date.now() / 1000);
  beat();
  setInterval(beat, 5000).unref();

  const counter = (name: string, help: string, label: string, source: () => Record<string, number>) =>
    new client.Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(source())) this.inc({ [label]: k }, v);
      },
    });
  counter('alphaboard_layers_stored_total', 'Layers analysed and stored by this process, by layer status', 'status', () => counts().layers_stored);
  counter('alphaboard_hub_errors_total', 'Hugging Face Hub request failures seen by this process, by kind', 'kind', () => counts().hub_errors);
  counter('alphaboard_rate_limited_total', 'Requests answered 429 by this process, by route class', 'class', () => counts().rate_limited);

  new client.Gauge({
    name: 'alphaboard_hub_reachable',
    help: 'Whether the last Hub probe succeeded (1), failed (0), or none ran yet (-1)',
    registers: [registry],
    collect() {
      const r = getHubStatus().reachable;
      this.set(r === null ? -1 : r ? 1 : 0);
    },
  });

  // Board-wide figures from the database; a scrape that cannot reach it reports alphaboard_database_up 0.
  const dbUp = new client.Gauge({ name: 'alphaboard_database_up', help: 'Whether the last scrape could query the database', registers: [registry] });
  const byStatus = new client.Gauge({ name: 'alphaboard_analyses', help: 'Analyses by status (all kinds)', labelNames: ['status'] as const, registers: [registry] });
  const layersDone = new client.Gauge({
    name: 'alphaboard_analysis_layers_done',
    help: 'Layers done over all analyses (board-wide; its rate is layers analysed per second)',
    registers: [registry],
  });
  const queueDepth = new client.Gauge({ name: 'alphaboard_queue_depth', help: 'Queued (not yet active) jobs by queue', labelNames: ['queue'] as const, registers: [registry] });
  const queueOldest = new client.Gauge({
    name: 'alphaboard_queue_oldest_job_age_seconds',
    help: 'Age of the oldest queued (not yet active) job by queue; 0 when none',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const claimAge = new client.Gauge({
    name: 'alphaboard_worker_heartbeat_age_seconds',
    help: 'Seconds since each worker last refreshed the claim of a running analysis (by worker host/pid)',
    labelNames: ['worker'] as const,
    registers: [registry],
  });
  // One database read per scrape, shared by the gauges above (the registry collects them concurrently).
  const scrapeSeconds = new client.Gauge({ name: 'alphaboard_scrape_database_seconds', help: 'Time the database part of the last scrape took', registers: [registry] });
  let last: { at: number; done: Promise<void> } | null = null;
  const refresh = (): Promise<void> => {
    if (last && Date.now() - last.at < 1000) return last.done;
    last = { at: Date.now(), done: readBoard() };
    return last.done;
  };
  const readBoard = async (): Promise<void> => {
    const t0 = performance.now();
    try {
      const statuses = await rows('select status, count(*)::int as n, coalesce(sum(layers_done), 0)::bigint as layers from analyses group by status');
      byStatus.reset();
      let layers = 0;
      for (const s of ['queued', 'running', 'done', 'failed']) byStatus.set({ status: s }, 0);
      for (const r of statuses) {
        byStatus.set({ status: r.status }, Number(r.n));
        layers += Number(r.layers);
      }
      layersDone.set(layers);
      const beats = await rows(
        "select coalesce(worker, 'unknown') as worker, extract(epoch from now() - max(updated_at))::float8 as age from analyses where status = 'running' group by 1",
      );
      claimAge.reset();
      for (const r of beats) claimAge.set({ worker: r.worker }, Math.max(0, Number(r.age)));
      queueDepth.reset();
      queueOldest.reset();
      try {
        const q = await rows(
          "select name, count(*)::int as n, coalesce(extract(epoch from now() - min(created_on)), 0)::float8 as age from pgboss.job where state in ('created', 'retry') group by name",
        );
        for (const r of q) {
          queueDepth.set({ queue: r.name }, Number(r.n));
          queueOldest.set({ queue: r.name }, Math.max(0, Number(r.age)));
        }
      } catch {
        /* the queue schema is created by the first worker; absent means nothing is queued yet */
      }
      dbUp.set(1);
    } catch (err) {
      if (process.env.METRICS_DEBUG) console.error('metrics: database part failed', err);
      dbUp.set(0);
    }
    scrapeSeconds.set((performance.now() - t0) / 1000);
  };
  for (const g of [dbUp, byStatus, layersDone, queueDepth, queueOldest, claimAge, scrapeSeconds] as client.Gauge<string>[]) {
    (g as unknown as { collect: () => Promise<void> }).collect = refresh;
  }

  return { registry, httpDuration, heartbeat };
}

export function metrics(): Metrics {
  return ((globalThis as any)[KEY] ??= create());
}

/** The text exposition of this process's registry. */
export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  const { registry } = metrics();
  return { body: await registry.metrics(), contentType: registry.contentType };
}

/**
 * Hooks this process's HTTP servers (installed once, from instrumentation.ts in the web server), ahead of Next:
 * - stamps each request with its TCP peer address in PEER_HEADER (replacing anything the client sent);
 * - applies the per-client rate limits (app/_lib/rate-limit.ts): a client past its budget is answered 429 here,
 *   before Next parses anything, so a flood costs the server as little as possible (proxy.ts then skips them);
 * - times each response into alphaboard_http_request_duration_seconds.
 */
export function installHttpObserver(): void {
  const FLAG = Symbol.for('alphaboard.http-observer');
  if ((globalThis as any)[FLAG]) return;
  const { httpDuration } = metrics();
  const limits = rateLimitConfig();
  const buckets: TokenBuckets = ((globalThis as any)[Symbol.for('alphaboard.rate-limit')] ??= new TokenBuckets());
  const refusalHeaders: Record<string, string> = Object.fromEntries([...SECURITY_HEADERS, ['content-security-policy', apiCsp()]]);
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string, ...args: any[]) {
    if (event === 'request') {
      const req = args[0] as http.IncomingMessage;
      const res = args[1] as http.ServerResponse;
      req.headers[PEER_HEADER] = req.socket.remoteAddress ?? 'unknown';
      const start = process.hrtime.bigint();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        httpDuration.observe({ method: req.method ?? 'GET', route: routeLabel(pathname), status: String(res.statusCode) }, seconds);
      });
      if (limits.enabled) {
        const cls = classify((req.method ?? 'GET').toUpperCase(), pathname, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
        if (cls) {
          const budget = limits.budgets[cls];
          const client = clientKey(new Headers({ [PEER_HEADER]: req.headers[PEER_HEADER] as string, ...headerOf(req, limits.trustHeader) }), limits);
          const r = buckets.take(`${cls}|${client}`, budget);
          if (!r.ok) {
            countEvent('rate_limited', cls);
            const answer = tooManyRequests(cls, budget, r.retryAfter);
            // Whatever body the client sends is drained, not read.
            req.resume();
            res.writeHead(answer.status, { ...refusalHeaders, ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
            res.end(answer.body);
            return true;
          }
        }
      }
    }
    return (emit as (...a: unknown[]) => boolean).apply(this, [event, ...args]);
  } as typeof emit;
  (globalThis as any)[FLAG] = true;
}

function headerOf(req: http.IncomingMessage, name: string | null): Record<string, string> {
  if (!name) return {};
  const v = req.headers[name];
  if (v === undefined) return {};
  return { [name]: Array.isArray(v) ? v.join(', ') : v };
}

/** `npm run worker`: serve GET /metrics (and /health) on METRICS_PORT (default 9464; `off` disables). */
export function startMetricsServer(port = process.env.METRICS_PORT ?? '9464'): http.Server | null {
  if (/^(off|0)$/i.test(port)) return null;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    renderMetrics().then(
      ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable'),
    );
  });
  server.on('error', (err) => console.error(`metrics server on port ${port}: ${err.message}`));
  server.listen(Number(port), process.env.METRICS_HOST ?? '0.0.0.0');
  server.unref();
  return server;
}
