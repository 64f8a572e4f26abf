import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createHubFetch } from './hub-fetch';
import { createHubStats } from './retry';

/** A scripted server: each request takes the next behaviour from the queue (the last one repeats). */
let server: http.Server;
let base: string;
let script: Array<(res: http.ServerResponse) => void> = [];
let hits = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    const step = script[Math.min(hits, script.length - 1)];
    hits++;
    step(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

const run = (steps: typeof script) => {
  script = steps;
  hits = 0;
};
const json = (body: unknown) => (res: http.ServerResponse) => {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const hubFetch = (stats = createHubStats()) => createHubFetch({ timeoutMs: 1000, retries: 3, retryBaseMs: 1, retryMaxMs: 2, stats });

describe('createHubFetch', () => {
  it('accepts compressed bodies whose Content-Length counts encoded bytes', async () => {
    const payload = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => `model-${i}`) });
    run([
      (res) => {
        const gz = gzipSync(payload);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
        res.end(gz);
      },
    ]);
    const res = await hubFetch()(`${base}/api/models`);
    expect(await res.text()).toBe(payload);
    expect(hits).toBe(1);
  });

  it('retries a body cut short of its Content-Length, then returns the full body', async () => {
    run([
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 5);
      },
      json({ ok: true }),
    ]);
    const stats = createHubStats();
    const res = await hubFetch(stats)(`${base}/x`);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.url).toBe(`${base}/x`);
    expect(stats).toMatchObject({ requests: 2, retries: 1, failures: { network: 1 } });
  });

  it('retries 503 and 429 (Retry-After) and hands other statuses to the client untouched', async () => {
    run([
      (res) => { res.writeHead(503); res.end(); },
      (res) => { res.writeHead(429, { 'retry-after': '0' }); res.end(); },
      json({ ok: 1 }),
    ]);
    expect((await hubFetch()(`${base}/y`)).status).toBe(200);
    expect(hits).toBe(3);
    run([(res) => { res.writeHead(404, { 'x-error-code': 'EntryNotFound' }); res.end('{}'); }]);
    const missing = await hubFetch()(`${base}/z`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-error-code')).toBe('EntryNotFound');
    expect(hits).toBe(1);
  });

  it('fails with a typed error once retries run out', async () => {
    run([(res) => { res.writeHead(502); res.end('bad gateway'); }]);
    await expect(hubFetch()(`${base}/down`)).rejects.toMatchObject({ kind: 'server', status: 502 });
    expect(hits).toBe(4);
  });
});
