import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '../hub-stand-in/server';
import { writeFixtureRepos, type FixtureRepos } from '../hub-stand-in/test-fixtures';
import { commitFiles } from '../hub-stand-in/repo-store';
import { dominantDtype, getModelInfo } from './model-info';

let fx: FixtureRepos;
let hub: StandInHub;
beforeAll(async () => {
  fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root });
});
afterAll(() => hub?.close());

const at = () => ({ hubUrl: hub.url, accessToken: undefined, retryBaseMs: 1 });

describe('getModelInfo', () => {
  it('maps Hub JSON to alphaboard fields and pins the sha of the branch', async () => {
    const info = await getModelInfo({ ...at(), repo: 'test/tiny-sharded' });
    expect(info).toMatchObject({
      repoId: 'test/tiny-sharded',
      owner: 'test',
      name: 'tiny-sharded',
      revision: 'main',
      sha: fx.shas.shardedMain,
      family: 'llama',
      architecture: 'LlamaForCausalLM',
      dtype: 'BF16',
      license: 'mit',
      gated: false,
      downloads: 30,
      likes: 3,
      baseModel: 'org/base-a',
      lastModified: '2025-02-01T00:00:00.000Z',
    });
    expect(info.parameterCount).toBe(48 * 32 + 32 + 64 * 32 + 32 * 64);
    expect(info.tags).toContain('license:mit');
  });

  it('resolves tags and training branches to their own shas', async () => {
    expect((await getModelInfo({ ...at(), repoId: 'test/tiny-sharded', revision: 'v1' })).sha).toBe(fx.shas.shardedV1);
    expect((await getModelInfo({ ...at(), repo: 'test/tiny-sharded', revision: 'step200' })).sha).toBe(fx.shas.step200);
  });

  it('sees a new sha after a push to main', async () => {
    const before = await getModelInfo({ ...at(), repo: 'test/tiny-single' });
    const sha = await commitFiles(fx.root, 'test/tiny-single', { files: { 'config.json': '{"model_type":"gpt2"}', 'README.md': 'v2' }, title: 'v2' });
    const after = await getModelInfo({ ...at(), repo: 'test/tiny-single' });
    expect(before.sha).toBe(fx.shas.single);
    expect(after.sha).toBe(sha);
  });

  it('times out a slow Hub and retries, and retries a 500', async () => {
    hub.setFaults({ scope: 'all', next: ['slow', 'server_error'], slowMs: 800 });
    try {
      const retries: string[] = [];
      const info = await getModelInfo({ ...at(), timeoutMs: 200, repo: 'test/tiny-sharded', revision: 'v1', onRetry: (i) => retries.push(i.error.kind) });
      expect(info.sha).toBe(fx.shas.shardedV1);
      expect(retries).toEqual(['network', 'server']);
    } finally {
      hub.setFaults({});
    }
  });

  it('reports gated repos (metadata stays readable without a token)', async () => {
    expect((await getModelInfo({ ...at(), repo: 'test/gated-model' })).gated).toBe('manual');
  });

  it('fails with not_found for a missing repo, a missing revision and a malformed id', async () => {
    await expect(getModelInfo({ ...at(), repo: 'test/missing' })).rejects.toMatchObject({ kind: 'not_found', status: 404 });
    await expect(getModelInfo({ ...at(), repo: 'test/tiny-single', revision: 'nope' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(getModelInfo({ ...at(), repo: 'no-slash' })).rejects.toThrow(/not a Hub repo id/);
  });

  it('picks the dtype holding most parameters', () => {
    expect(dominantDtype({ F32: 10, BF16: 1000, I64: 1 })).toBe('BF16');
    expect(dominantDtype(undefined)).toBeNull();
  });
});
