import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '../hub-stand-in/server';
import { writeFixtureRepos, type FixtureRepos } from '../hub-stand-in/test-fixtures';
import { checkpointSeries, listRefs } from './list-refs';

let fx: FixtureRepos;
let hub: StandInHub;
beforeAll(async () => {
  fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root });
});
afterAll(() => hub?.close());

describe('listRefs', () => {
  it('lists branches and tags with their commits', async () => {
    const refs = await listRefs({ hubUrl: hub.url, accessToken: undefined, repo: 'test/tiny-sharded' });
    expect(refs).toEqual(
      expect.arrayContaining([
        { name: 'main', kind: 'branch', sha: fx.shas.shardedMain },
        { name: 'step100', kind: 'branch', sha: fx.shas.step100 },
        { name: 'v1', kind: 'tag', sha: fx.shas.shardedV1 },
      ]),
    );
    expect(checkpointSeries(refs).map((r) => [r.name, r.step])).toEqual([['step100', 100], ['step200', 200]]);
  });

  it('fails with not_found for a missing repo', async () => {
    await expect(listRefs({ hubUrl: hub.url, accessToken: undefined, repo: 'test/missing' })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('orders checkpoint names numerically, not alphabetically', () => {
    const refs = ['step10000', 'step2000', 'main', 'checkpoint-500', 'global_step300', 'stepX'].map((name) => ({ name, kind: 'branch' as const, sha: name }));
    expect(checkpointSeries(refs).map((r) => r.name)).toEqual(['global_step300', 'checkpoint-500', 'step2000', 'step10000']);
  });
});
