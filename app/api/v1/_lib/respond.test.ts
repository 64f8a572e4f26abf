import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateStored } from './respond';

describe('inflateStored', () => {
  it('gives back exactly the stored bytes: empty, small, a few MB, and several gzip members in one body', async () => {
    const json = Buffer.from(JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ ordinal: i, alpha: Math.sin(i) * 3 + 4, name: `model.layers.${i}.mlp.up_proj` }))));
    for (const body of [Buffer.alloc(0), Buffer.from('{"layers":[]}'), json]) {
      expect((await inflateStored(gzipSync(body))).equals(body)).toBe(true);
    }
    // The trailer states only the last member's size: the output must still be whole.
    const a = json.subarray(0, 1000);
    const b = json.subarray(1000);
    expect((await inflateStored(Buffer.concat([gzipSync(b), gzipSync(a)]))).equals(Buffer.concat([b, a]))).toBe(true);
  });

  it('refuses a corrupt body with zlib\'s error', async () => {
    const gz = gzipSync(Buffer.from('{"a":1}'));
    gz[12] ^= 0xff;
    await expect(inflateStored(gz)).rejects.toThrow();
  });
});
