import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalCheckpoint } from '../safetensors/checkpoint';
import { SafetensorsError } from '../safetensors/errors';
import { startStandInHub, type StandInHub } from '../hub-stand-in/server';
import { localBytes, writeFixtureRepos, type FixtureRepos } from '../hub-stand-in/test-fixtures';
import { getCheckpointIndex, getCheckpointTensors } from './checkpoint-index';
import { remoteSource } from './remote-source';
import path from 'node:path';

let fx: FixtureRepos;
let hub: StandInHub;
beforeAll(async () => {
  fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root, tokens: { hf_reader: ['test/gated-model'] } });
});
afterAll(() => hub?.close());

const at = () => ({ hubUrl: hub.url, accessToken: undefined as string | undefined, retryBaseMs: 1 });

describe('getCheckpointIndex', () => {
  it('gives absolute offsets in weight_map order for a sharded checkpoint, bit-identical to the local files', async () => {
    const sha = fx.shas.shardedMain;
    const index = await getCheckpointIndex({ ...at(), repo: 'test/tiny-sharded', revision: sha });
    expect(index.sharded).toBe(true);
    // the fixture's weight_map lists up_proj before q_proj although the shard stores q_proj first
    expect(index.tensors.map((t) => t.name)).toEqual([
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.input_layernorm.weight',
      'model.layers.1.mlp.down_proj.weight',
    ]);
    const local = await openLocalCheckpoint(path.dirname(fx.filePath('test/tiny-sharded', sha, 'model.safetensors.index.json')));
    const localByName = new Map(local.tensors.map((t) => [t.name, t]));
    for (const t of index.tensors) {
      const l = localByName.get(t.name)!;
      expect([t.dtype, t.shape, t.start, t.end]).toEqual([l.dtype, l.shape, l.start, l.end]);
      const source = await remoteSource({ ...at(), repo: 'test/tiny-sharded', revision: sha, file: t.file });
      const remote = await source.read(t.start, t.end);
      expect(remote).toEqual(await localBytes(fx.filePath('test/tiny-sharded', sha, t.file), t.start, t.end));
    }
    expect(index.files.map((f) => f.path)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    for (const f of index.files) expect(f.dataStart).toBe(8 + f.headerLength);
  });

  it('indexes a single-file checkpoint in header order', async () => {
    const tensors = await getCheckpointTensors({ ...at(), repo: 'test/tiny-single', revision: fx.shas.single });
    expect(tensors.map((t) => [t.name, t.file])).toEqual([
      ['h.0.self_attn.q_proj.weight', 'model.safetensors'],
      ['h.0.input_layernorm.weight', 'model.safetensors'],
      ['h.0.mlp.up_proj.weight', 'model.safetensors'],
      ['h.1.mlp.down_proj.weight', 'model.safetensors'],
    ]);
    expect(tensors[0].end - tensors[0].start).toBe(48 * 32 * 4);
  });

  it('fails with no_safetensors for a repo without safetensors weights', async () => {
    await expect(getCheckpointTensors({ ...at(), repo: 'test/no-weights', revision: 'main' })).rejects.toMatchObject({
      kind: 'no_safetensors',
      message: expect.stringMatching(/^no safetensors: test\/no-weights@main/),
    });
  });

  it('fails fast with "gated: needs a token with access" without a token, and reads with one', async () => {
    const before = hub.stats().requests;
    const err = await getCheckpointTensors({ ...at(), repo: 'test/gated-model', revision: 'main' }).catch((e) => e);
    expect(err).toMatchObject({ kind: 'gated', status: 401, retryable: false });
    expect(err.message.startsWith('gated: needs a token with access')).toBe(true);
    expect(hub.stats().requests - before).toBeLessThanOrEqual(2); // no retries of a permanent failure
    const withToken = await getCheckpointTensors({ ...at(), accessToken: 'hf_reader', repo: 'test/gated-model', revision: 'main' });
    expect(withToken).toHaveLength(4);
  });

  it('fails with not_found for a missing repo or revision', async () => {
    await expect(getCheckpointTensors({ ...at(), repo: 'test/missing', revision: 'main' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(getCheckpointTensors({ ...at(), repo: 'test/tiny-single', revision: 'nope' })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('rejects a hostile header with the safetensors reader\'s error naming tensor and problem', async () => {
    const err = await getCheckpointTensors({ ...at(), repo: 'test/bad-offsets', revision: 'main' }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect(err.message).toContain('test/bad-offsets@main');
    expect(err.message).toMatch(/w\.weight|exceeds the file size/);
  });

  it('reports a header whose declared length exceeds the file', async () => {
    hub.setFaults({ oversizedHeaderRepos: ['test/tiny-single'] });
    try {
      const err = await getCheckpointTensors({ ...at(), repo: 'test/tiny-single', revision: fx.shas.single }).catch((e) => e);
      expect(err).toBeInstanceOf(SafetensorsError);
      expect(err.message).toMatch(/declared header length \d+ (runs past the end of the file|exceeds)/);
    } finally {
      hub.setFaults({});
    }
  });
});
