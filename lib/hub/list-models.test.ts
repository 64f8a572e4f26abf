import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '../hub-stand-in/server';
import { writeFixtureRepos } from '../hub-stand-in/test-fixtures';
import { discoverModels, listDiscoveryCandidates, type DiscoveryCandidate } from './list-models';

let hub: StandInHub;
beforeAll(async () => {
  const fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root, pageSize: 1 });
});
afterAll(() => hub?.close());

const collect = async (it: AsyncIterable<DiscoveryCandidate>) => {
  const out: DiscoveryCandidate[] = [];
  for await (const c of it) out.push(c);
  return out;
};

describe('listDiscoveryCandidates', () => {
  it('follows Link paging and keeps only safetensors text-generation models, by downloads', async () => {
    const found = await collect(listDiscoveryCandidates({ hubUrl: hub.url, accessToken: undefined }));
    expect(found.map((c) => c.repoId)).toEqual(['test/tiny-single', 'test/tiny-sharded', 'test/gated-model', 'test/bad-offsets']);
    expect(hub.stats().requests).toBeGreaterThanOrEqual(4); // one page per model (pageSize 1)
    const gated = found.find((c) => c.repoId === 'test/gated-model')!;
    expect(gated).toMatchObject({ gated: 'manual', downloads: 20, likes: 2, updatedAt: '2025-04-01T00:00:00.000Z' });
    expect(gated.parameterCount).toBeGreaterThan(0);
  });

  it('sorts by likes, searches, limits and applies the parameter cap', async () => {
    const byLikes = await discoverModels({ hubUrl: hub.url, accessToken: undefined, sort: 'likes', limit: 2 });
    expect(byLikes).toEqual(['test/tiny-sharded', 'test/gated-model']);
    expect(await discoverModels({ hubUrl: hub.url, accessToken: undefined, search: 'single' })).toEqual(['test/tiny-single']);
    // tiny models hold 5664 parameters, bad-offsets declares 16
    const capped = await discoverModels({ hubUrl: hub.url, accessToken: undefined, maxParameters: 100 });
    expect(capped).toEqual(['test/bad-offsets']);
  });

  it('retries a failing listing page and fails with a typed error when the Hub stays down', async () => {
    hub.setFaults({ scope: 'all', next: ['server_error'] });
    expect(await discoverModels({ hubUrl: hub.url, accessToken: undefined, retryBaseMs: 1 })).toHaveLength(4);
    hub.setFaults({ scope: 'all', rates: { server_error: 1 } });
    await expect(discoverModels({ hubUrl: hub.url, accessToken: undefined, retries: 1, retryBaseMs: 1 })).rejects.toMatchObject({ kind: 'server', status: 500 });
    hub.setFaults({});
  });
});
