import xxhash from 'xxhash-wasm';
import { describe, expect, it } from 'vitest';
import { contentHash, contentHashOf } from './content-hash';

describe('contentHash', () => {
  it('is xxhash64 of the whole byte string, however the pieces fall', async () => {
    const { h64Raw } = await xxhash();
    for (const size of [0, 1, 1 << 20, (1 << 20) + 7, 3 * (1 << 20) - 1]) {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
      expect(await contentHash(bytes)).toBe(h64Raw(bytes).toString(16).padStart(16, '0'));
    }
  });

  it('hashes several ranges as their concatenation', async () => {
    const a = Uint8Array.from({ length: (1 << 20) + 3 }, (_, i) => i & 255);
    const b = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    expect(await contentHashOf([a, b])).toBe(await contentHash(joined));
    expect(await contentHash(new Uint8Array(0))).toBe('ef46db3751d8e999'); // XXH64 of the empty input, seed 0
  });
});
