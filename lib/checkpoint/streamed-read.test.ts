import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '@/lib/safetensors';
import { NonFiniteTensorError } from '@/lib/safetensors/errors';
import { syntheticFile } from '@/lib/hub-stand-in/synthetic';
import { asFloat, Bf16Matrix } from '@/lib/spectral/bf16-matrix';
import { setStreamedReadBytes } from './formats/safetensors';
import { openLocalSource } from './open';
import type { TensorSource } from './types';

/**
 * Large BF16 tensors are read in pieces, each hashed and decoded as it arrives: the values, the content hash and the
 * NaN/Inf error must be exactly those of one read + decode. Pieces are made tiny here (1,000 bytes, not a divisor
 * of the tensor sizes) so that small tensors take the streamed path.
 */

let dir: string;

async function readAll(source: TensorSource, keepBf16 = false) {
  const out: Record<string, { data: number[]; rows: number; cols: number; contentHash: string }> = {};
  for (const t of source.tensors) {
    const r = await source.read(t, { keepBf16 });
    expect(r.data instanceof Bf16Matrix, t.name).toBe(keepBf16 && t.dtype === 'BF16');
    out[t.name] = { data: Array.from(asFloat(r.data)), rows: r.rows, cols: r.cols, contentHash: r.contentHash };
  }
  return out;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-streamed-'));
  const file = syntheticFile({
    kind: 'safetensors',
    tensors: [
      { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [131, 96] },
      { name: 'model.layers.0.input_layernorm.weight', dtype: 'BF16', shape: [95] }, // leaves the next one 2 mod 4 aligned
      { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [96, 131] },
      { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F32', shape: [64, 64] },
    ],
  });
  fs.writeFileSync(path.join(dir, 'model.safetensors'), file.read(0, file.size));
  const nan = Array.from({ length: 40 * 50 }, (_, i) => (i === 1234 ? Number.NaN : i === 77 ? Infinity : Math.sin(i) * 0.02));
  fs.mkdirSync(path.join(dir, 'bad'));
  fs.writeFileSync(path.join(dir, 'bad', 'model.safetensors'), encodeSafetensors([{ name: 'w.weight', dtype: 'BF16', shape: [40, 50], data: nan }]));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('streamed BF16 reads', () => {
  it('give the same values and content hashes as one read, decoded or kept as BF16 bits', async () => {
    const whole = await readAll(await openLocalSource(path.join(dir, 'model.safetensors')));
    const wholeBits = await readAll(await openLocalSource(path.join(dir, 'model.safetensors')), true);
    const previous = setStreamedReadBytes(1000);
    try {
      for (const keepBf16 of [false, true]) {
        const streamed = await readAll(await openLocalSource(path.join(dir, 'model.safetensors')), keepBf16);
        expect(Object.keys(streamed)).toEqual(Object.keys(whole));
        for (const name of Object.keys(whole)) {
          expect(streamed[name], name).toEqual(whole[name]);
          expect(wholeBits[name], name).toEqual(whole[name]);
        }
      }
    } finally {
      setStreamedReadBytes(previous);
    }
  });

  it('count NaN/Inf over all pieces, as one read does, decoded or kept as BF16 bits', async () => {
    const errorOf = async (keepBf16: boolean) => {
      const source = await openLocalSource(path.join(dir, 'bad', 'model.safetensors'));
      return source.read(source.tensors[0], { keepBf16 }).then(
        () => null,
        (e: unknown) => e,
      );
    };
    const whole = await errorOf(false);
    expect((await errorOf(true) as Error).message).toBe((whole as Error).message);
    const previous = setStreamedReadBytes(1000);
    try {
      for (const keepBf16 of [false, true]) {
        const streamed = await errorOf(keepBf16);
        expect(streamed).toBeInstanceOf(NonFiniteTensorError);
        expect((streamed as NonFiniteTensorError).count).toBe(2);
        expect((streamed as Error).message).toBe((whole as Error).message);
      }
    } finally {
      setStreamedReadBytes(previous);
    }
    expect(() => setStreamedReadBytes(1001)).toThrow(/multiple of 4/);
  });
});
