import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsError } from '@/lib/safetensors/errors';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { localBytes, writeFixtureRepos, type FixtureRepos } from '@/lib/hub-stand-in/test-fixtures';
import { hubLocation, NoCheckpointError, openCheckpoint, openHubCheckpoint, openLocalSource } from '.';

/** A Hub revision through the seam: the same tensors and bytes as the local files, and every Hub failure named. */

let fx: FixtureRepos;
let hub: StandInHub;
beforeAll(async () => {
  fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root, tokens: { hf_reader: ['test/gated-model'] } });
});
afterAll(() => hub?.close());

const at = () => ({ hubUrl: hub.url, accessToken: undefined as string | undefined, retryBaseMs: 1 });
const open = (repo: string, revision: string, extra: { accessToken?: string } = {}) =>
  openCheckpoint(hubLocation({ ...at(), ...extra, repo, revision }));

describe('Hub checkpoints through the seam', () => {
  it('a sharded checkpoint: weight_map order, the local offsets, bit-identical bytes', async () => {
    const sha = fx.shas.shardedMain;
    const remote = await open('test/tiny-sharded', sha);
    expect(remote.format).toBe('safetensors');
    // the fixture's weight_map lists up_proj before q_proj although the shard stores q_proj first
    expect(remote.tensors.map((t) => t.name)).toEqual([
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.input_layernorm.weight',
      'model.layers.1.mlp.down_proj.weight',
    ]);
    const local = await openLocalSource(path.dirname(fx.filePath('test/tiny-sharded', sha, 'model.safetensors.index.json')));
    for (const t of remote.tensors) {
      const l = local.tensors.find((x) => x.name === t.name)!;
      expect([t.dtype, t.shape, t.start, t.end, t.file]).toEqual([l.dtype, l.shape, l.start, l.end, l.file]);
      const bytes = await localBytes(fx.filePath('test/tiny-sharded', sha, t.file), t.start, t.end);
      if (t.shape.length === 2) expect((await remote.read(t)).contentHash).toBe((await local.read(l)).contentHash);
      expect(bytes.length).toBe(t.end - t.start);
    }
    expect(remote.files.map((f) => f.path)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(remote.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
  });

  it('a single file in header order', async () => {
    const src = await open('test/tiny-single', fx.shas.single);
    expect(src.tensors.map((t) => [t.name, t.file])).toEqual([
      ['h.0.self_attn.q_proj.weight', 'model.safetensors'],
      ['h.0.input_layernorm.weight', 'model.safetensors'],
      ['h.0.mlp.up_proj.weight', 'model.safetensors'],
      ['h.1.mlp.down_proj.weight', 'model.safetensors'],
    ]);
    expect(src.tensors[0].end - src.tensors[0].start).toBe(48 * 32 * 4);
  });

  it('a repo without weights in any format says so', async () => {
    const err = await openHubCheckpoint({ ...at(), repo: 'test/no-weights', sha: 'main' }).catch((e) => e);
    expect(err).toBeInstanceOf(NoCheckpointError);
    expect(err.message).toMatch(/^test\/no-weights@main: no weights: found none of .*safetensors.*pytorch_model\.bin/);
  });

  it('fails fast with "gated: needs a token with access" without a token, and reads with one', async () => {
    const before = hub.stats().requests;
    const err = await open('test/gated-model', 'main').catch((e) => e);
    expect(err).toMatchObject({ kind: 'gated', status: 401, retryable: false });
    expect(err.message.startsWith('gated: needs a token with access')).toBe(true);
    expect(hub.stats().requests - before).toBeLessThanOrEqual(2); // no retries of a permanent failure
    const withToken = await open('test/gated-model', 'main', { accessToken: 'hf_reader' });
    expect(withToken.tensors).toHaveLength(4);
  });

  it('fails with not_found for a missing repo or revision', async () => {
    await expect(open('test/missing', 'main')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(open('test/tiny-single', 'nope')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it("rejects a hostile header with the safetensors reader's error naming tensor and problem", async () => {
    const err = await open('test/bad-offsets', 'main').catch((e) => e);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect(err.message).toContain('test/bad-offsets@main');
    expect(err.message).toMatch(/w\.weight|exceeds the file size/);
  });

  it('reports a header whose declared length exceeds the file', async () => {
    hub.setFaults({ oversizedHeaderRepos: ['test/tiny-single'] });
    try {
      const err = await open('test/tiny-single', fx.shas.single).catch((e) => e);
      expect(err).toBeInstanceOf(SafetensorsError);
      expect(err.message).toMatch(/declared header length \d+ (runs past the end of the file|exceeds)/);
    } finally {
      hub.setFaults({});
    }
  });
});
