import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb } from '@/db/client';
import { freshDataDir } from './testing/fresh-db';

/**
 * A strict parser of the Prometheus text exposition format (0.0.4): every line is a comment (# HELP / # TYPE), blank,
 * or `name{labels} value [timestamp]`; names and label names are valid identifiers, label values are quoted strings
 * with \\, \" and \n escapes only, values are floats (NaN and ±Inf as Go's ParseFloat reads them), each family has one TYPE line that comes
 * before its samples, and histograms have cumulative buckets ending in +Inf that equal _count.
 */
export function parsePrometheusText(text: string): Map<string, { type: string; samples: { name: string; labels: Record<string, string>; value: number }[] }> {
  const families = new Map<string, { type: string; samples: { name: string; labels: Record<string, string>; value: number }[] }>();
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const familyOf = (name: string) => {
    for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
      if (name.endsWith(suffix) && families.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
    }
    return name;
  };
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  text.split('\n').slice(0, -1).forEach((line, i) => {
    const at = `line ${i + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = line.match(/^# (HELP|TYPE) (\S+)(?: (.*))?$/);
      if (!m) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`malformed ${at}`);
        return;
      }
      if (!NAME.test(m[2])) throw new Error(`bad metric name, ${at}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3] ?? '')) throw new Error(`bad type, ${at}`);
        if (families.get(m[2])?.type) throw new Error(`second TYPE, ${at}`);
        families.set(m[2], { type: m[3]!, samples: families.get(m[2])?.samples ?? [] });
      }
      return;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)(?: (-?\d+))?$/);
    if (!m) throw new Error(`malformed sample, ${at}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      let rest = m[3];
      while (rest.length) {
        const l = rest.match(/^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/);
        if (!l) throw new Error(`bad labels, ${at}`);
        if (l[1] in labels) throw new Error(`repeated label, ${at}`);
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
        rest = rest.slice(l[0].length);
      }
    }
    const raw = m[4];
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any letter case, decimal or exponent notation.
    if (!/^(nan|[+-]?inf|[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)$/i.test(raw)) throw new Error(`bad value, ${at}`);
    const value = /^nan$/i.test(raw) ? NaN : /^[+-]?inf$/i.test(raw) ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw);
    const fam = families.get(familyOf(m[1]));
    if (!fam) throw new Error(`sample before its TYPE, ${at}`);
    fam.samples.push({ name: m[1], labels, value });
  });
  for (const [name, fam] of families) {
    if (fam.type !== 'histogram') continue;
    const series = new Map<string, { le: number; v: number }[]>();
    for (const s of fam.samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${name}: bucket without le`);
      const k = JSON.stringify(rest);
      series.set(k, [...(series.get(k) ?? []), { le: le === '+Inf' ? Infinity : Number(le), v: s.value }]);
    }
    for (const [k, buckets] of series) {
      for (let j = 1; j < buckets.length; j++) {
        if (!(buckets[j].le > buckets[j - 1].le) || buckets[j].v < buckets[j - 1].v) throw new Error(`${name}${k}: buckets not cumulative`);
      }
      if (buckets.at(-1)!.le !== Infinity) throw new Error(`${name}${k}: no +Inf bucket`);
      const count = fam.samples.find((x) => x.name === `${name}_count` && JSON.stringify(x.labels) === k);
      if (count?.value !== buckets.at(-1)!.v) throw new Error(`${name}${k}: _count differs from the +Inf bucket`);
    }
  }
  return families;
}

describe('Prometheus metrics', () => {
  beforeAll(async () => {
    process.env.DATA_DIR = await freshDataDir('metrics');
    delete process.env.DATABASE_URL;
  });
  afterAll(async () => {
    await closeDb();
  });

  it('renders the registry in a valid text format with the operator metrics', async () => {
    const { metrics, renderMetrics, routeLabel } = await import('./metrics');
    const { countEvent } = await import('./metric-counters');
    const m = metrics();
    m.httpDuration.observe({ method: 'GET', route: routeLabel('/api/v1/models'), status: '200' }, 0.004);
    m.httpDuration.observe({ method: 'GET', route: routeLabel('/api/v1/models/a/b/layers/3/esd'), status: '429' }, 0.0005);
    countEvent('layers_stored', 'success', 3);
    countEvent('hub_errors', 'rate_limited');
    const { body, contentType } = await renderMetrics();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(body);
    expect(families.get('alphaboard_http_request_duration_seconds')?.type).toBe('histogram');
    const routes = families.get('alphaboard_http_request_duration_seconds')!.samples.map((s) => s.labels.route);
    expect(routes).toContain('/api/v1/models/[owner]/[name]/layers/[layer]/esd');
    expect(families.get('alphaboard_database_up')!.samples[0].value).toBe(1);
    const statuses = Object.fromEntries(families.get('alphaboard_analyses')!.samples.map((s) => [s.labels.status, s.value]));
    expect(statuses).toMatchObject({ queued: 0, running: 0, done: 0, failed: 0 });
    expect(families.get('alphaboard_layers_stored_total')!.samples).toEqual([{ name: 'alphaboard_layers_stored_total', labels: { status: 'success' }, value: 3 }]);
    expect(families.get('alphaboard_hub_errors_total')!.samples[0]).toMatchObject({ labels: { kind: 'rate_limited' }, value: 1 });
    for (const name of ['alphaboard_queue_depth', 'alphaboard_queue_oldest_job_age_seconds', 'alphaboard_worker_heartbeat_age_seconds',
      'alphaboard_process_heartbeat_timestamp_seconds', 'alphaboard_analysis_layers_done', 'alphaboard_hub_reachable', 'alphaboard_rate_limited_total']) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('the parser rejects malformed expositions', () => {
    expect(() => parsePrometheusText('a_metric 1\n')).toThrow(/before its TYPE/);
    expect(() => parsePrometheusText('# TYPE a gauge\na{x="1} 1\n')).toThrow(/bad labels/);
    expect(() => parsePrometheusText('# TYPE a gauge\na 1,5\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\n')).toThrow(/cumulative/);
  });
});

describe('HTTP observer', () => {
  it('answers 429 with Retry-After and a JSON error ahead of the app, per client address, and times every response', async () => {
    process.env.RATE_LIMIT_API = '1:3';
    const { installHttpObserver, metrics } = await import('./metrics');
    installHttpObserver();
    delete process.env.RATE_LIMIT_API;
    let reached = 0;
    const server = http.createServer((req, res) => {
      reached++;
      res.end(JSON.stringify({ peer: req.headers['x-alphaboard-peer'] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const get = (path: string, localAddress = '127.0.0.1', headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path, localAddress, headers, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        }).on('error', reject);
      });
    try {
      // A forged peer header is replaced by the real address.
      const first = await get('/api/v1/models', '127.0.0.1', { 'x-alphaboard-peer': '9.9.9.9', 'x-forwarded-for': '8.8.8.8' });
      expect(JSON.parse(first.body).peer).toBe('127.0.0.1');
      expect((await get('/api/v1/models')).status).toBe(200);
      expect((await get('/api/v1/models')).status).toBe(200);
      const refused = await get('/api/v1/models', '127.0.0.1', { 'x-forwarded-for': '7.7.7.7' });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(refused.body).error.code).toBe('too_many_requests:api');
      expect(reached).toBe(3);
      // Another address has its own budget; operator endpoints are never limited.
      expect((await get('/api/v1/models', '127.0.0.2')).status).toBe(200);
      expect((await get('/api/health')).status).toBe(200);
      const text = await metrics().registry.metrics();
      expect(text).toMatch(/alphaboard_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/models",status="429"\} 1/);
      expect(text).toMatch(/alphaboard_rate_limited_total\{class="api"\} 1/);
    } finally {
      server.close();
    }
  });
});
