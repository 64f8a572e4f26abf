import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '../hub-stand-in/server';
import type { FaultConfig, FaultKind } from '../hub-stand-in/faults';
import { localBytes, writeFixtureRepos, type FixtureRepos } from '../hub-stand-in/test-fixtures';
import { hubLocation, openCheckpoint, type SourceTensor } from '../checkpoint';
import { remoteSource, type RemoteSourceParams } from './remote-source';
import type { RetryInfo } from './retry';

let fx: FixtureRepos;
let hub: StandInHub;
let tensors: SourceTensor[];
const summary: string[] = [];

beforeAll(async () => {
  fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root });
  tensors = (await openCheckpoint(hubLocation({ hubUrl: hub.url, accessToken: undefined, repo: 'test/tiny-single', revision: fx.shas.single }))).tensors;
});
afterAll(async () => {
  await hub?.close();
  if (summary.length) console.log(['injected faults vs outcome (remote range reads):', ...summary].join('\n  '));
});
beforeEach(() => {
  hub.setFaults({});
  hub.resetStats();
});

const open = (extra: Partial<RemoteSourceParams> = {}) =>
  remoteSource({
    hubUrl: hub.url,
    accessToken: undefined,
    repo: 'test/tiny-single',
    revision: fx.shas.single,
    file: 'model.safetensors',
    retryBaseMs: 2,
    retryMaxMs: 20,
    timeoutMs: 2000,
    ...extra,
  });

const expected = (t: SourceTensor) => localBytes(fx.filePath('test/tiny-single', fx.shas.single, t.file), t.start, t.end);

/** Reads every tensor `rounds` times under `faults`; checks every byte; records the outcome. */
async function readAllUnder(name: string, faults: FaultConfig, rounds = 1, extra: Partial<RemoteSourceParams> = {}) {
  const retries: RetryInfo[] = [];
  const source = await open({ ...extra, onRetry: (info) => retries.push(info) });
  hub.resetStats();
  hub.setFaults(faults);
  for (let r = 0; r < rounds; r++) {
    for (const t of tensors) expect(await source.read(t.start, t.end)).toEqual(await expected(t));
  }
  const injected = Object.entries(hub.stats().injected).filter(([, n]) => n > 0);
  const total = injected.reduce((s, [, n]) => s + n, 0);
  summary.push(
    `${name.padEnd(30)} injected ${injected.map(([k, n]) => `${k}=${n}`).join(' ') || 'none'} -> ` +
      `${rounds * tensors.length} reads correct, ${source.stats.retries} retries (${JSON.stringify(source.stats.failures)})`,
  );
  return { source, retries, injectedTotal: total };
}

describe('remoteSource', () => {
  it('reads exactly the requested range (never the whole file)', async () => {
    const source = await open();
    const t = tensors[2];
    hub.resetStats();
    const before = source.stats.bytesRead; // the size probe read one byte
    expect(await source.read(t.start, t.end)).toEqual(await expected(t));
    expect(source.stats.bytesRead - before).toBe(t.end - t.start);
    expect(hub.stats().bytesSent).toBe(t.end - t.start);
    expect(hub.stats().rangeRequests).toBe(1);
    expect(source.size).toBeGreaterThan(t.end - t.start);
    expect(source.label).toBe(`test/tiny-single@${fx.shas.single}:model.safetensors`);
    expect(await source.read(5, 5)).toHaveLength(0);
    await expect(source.read(0, source.size + 1)).rejects.toThrow(/cannot read bytes/);
  });

  const oneFault = (kind: FaultKind, extra: FaultConfig = {}) => ({ next: [kind, kind], retryAfter: 0, ...extra });

  it.each<[string, FaultConfig]>([
    ['500 Internal Server Error', oneFault('server_error')],
    ['429 with Retry-After: 0', oneFault('rate_limited')],
    ['truncated body (short 206)', oneFault('short_body')],
    ['connection dropped mid-body', oneFault('drop_connection')],
  ])('recovers from %s with one retry per injected fault', async (name, faults) => {
    const { source, injectedTotal } = await readAllUnder(name, faults);
    expect(injectedTotal).toBe(2);
    expect(source.stats.retries).toBe(2);
  });

  it('recovers when 10% of range requests fail, and from a seeded mix of every fault', async () => {
    const tenPercent = await readAllUnder('10% of ranges fail (500)', { seed: 3, rates: { server_error: 0.1 } }, 15);
    expect(tenPercent.injectedTotal).toBeGreaterThan(0);
    expect(tenPercent.source.stats.retries).toBe(tenPercent.injectedTotal);
    const mix = await readAllUnder(
      'mixed 500/429/short/drop',
      { seed: 11, retryAfter: 0, rates: { server_error: 0.08, rate_limited: 0.04, short_body: 0.05, drop_connection: 0.05 } },
      15,
    );
    expect(mix.source.stats.retries).toBe(mix.injectedTotal);
  });

  it('waits the Retry-After the Hub asks for', async () => {
    const t0 = performance.now();
    const { retries } = await readAllUnder('429 with Retry-After: 1', { next: ['rate_limited'], retryAfter: 1 });
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ delayMs: 1000, error: { kind: 'rate_limited', status: 429 } });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('times out a slow response and retries it', async () => {
    const { retries } = await readAllUnder('slow Hub (900 ms > 200 ms timeout)', { next: ['slow'], slowMs: 900 }, 1, { timeoutMs: 200 });
    expect(retries).toHaveLength(1);
    expect(retries[0].error.kind).toBe('network');
    expect(retries[0].error.message).toMatch(/timed out/);
  });

  it('gives up after the configured retries with the last error', async () => {
    const source = await open({ retries: 2 });
    hub.resetStats();
    hub.setFaults({ rates: { server_error: 1 } });
    await expect(source.read(tensors[0].start, tensors[0].end)).rejects.toMatchObject({ kind: 'server', status: 500 });
    expect(hub.stats().rangeRequests).toBe(3);
    summary.push(`${'Hub down (every range 500)'.padEnd(30)} injected server_error=${hub.stats().injected.server_error} -> failed after 2 retries: kind server`);
  });

  it('fails fast on permanent errors: a missing file (404) and a gated repo (401)', async () => {
    // size given: no probe, so the 404 comes from the range read itself
    const missing = await open({ file: 'missing.safetensors', size: 1000 });
    await expect(missing.read(0, 8)).rejects.toMatchObject({ kind: 'not_found', status: 404, retryable: false });
    expect(missing.stats.retries).toBe(0);
    expect(hub.stats().requests).toBe(1);
    await expect(open({ file: 'missing.safetensors' })).rejects.toMatchObject({ kind: 'not_found' });

    const gated = await open({ repo: 'test/gated-model', revision: fx.shas.gated, size: 100 }).then((s) => s.read(0, 8)).catch((e) => e);
    expect(gated).toMatchObject({ kind: 'gated', status: 401, retryable: false });
    expect(gated.message.startsWith('gated: needs a token with access')).toBe(true);
    summary.push(`${'missing file / gated repo'.padEnd(30)} -> failed fast, 0 retries: kinds not_found, gated`);
  });

  it('stops when the caller aborts, without retrying', async () => {
    const source = await open();
    hub.setFaults({ next: ['slow'], slowMs: 2000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('analysis cancelled')), 50);
    const t0 = performance.now();
    await expect(source.read(tensors[0].start, tensors[0].end, controller.signal)).rejects.toThrow(/cancelled|abort/i);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(source.stats.retries).toBe(0);
  });

  it('refuses a response that ignores Range instead of buffering the whole file', async () => {
    const dropRange: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete('range');
      return fetch(input, { ...init, headers });
    };
    const source = await open({ fetch: dropRange, size: (await open()).size });
    await expect(source.read(0, 8)).rejects.toMatchObject({ kind: 'bad_response' });
  });
});
