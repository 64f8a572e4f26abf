/**
 * The test-only writer (testing/write-torch.ts): byte-identical to torch 1.13 on the conformance file, and
 * round trips through the reader for every layout it can express, in both formats.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bufferSource, fileSource } from '@/lib/safetensors';
import { readPytorchIndex, readPytorchTensor } from './index';
import {
  encodeValues,
  simpleStateDict,
  writeTorchLegacy,
  writeTorchZip,
  type TorchCheckpoint,
} from './testing/write-torch';

const MP = fileURLToPath(new URL('./__fixtures__/conformance/mp.bin', import.meta.url));

describe('writeTorchZip', () => {
  it('reproduces torch 1.13 output byte for byte (mp.bin)', async () => {
    const source = await fileSource(MP);
    const index = await readPytorchIndex(source);
    const storages: TorchCheckpoint['storages'] = {};
    const entries: Array<[string, { tensor: { storage: string; shape: number[] } }]> = [];
    for (const t of index.tensors) {
      storages[t.storageKey] = { dtype: 'F32', bytes: await source.read(t.start, t.end) };
      entries.push([t.name, { tensor: { storage: t.storageKey, shape: t.shape } }]);
    }
    const modules = ['', 'mp', ...index.tensors.map((t) => t.name.replace(/\.weight$/, ''))];
    const written = writeTorchZip({ storages, root: { ordered: entries, metadata: modules } }, { prefix: 'mp' });
    const original = readFileSync(MP);
    expect(written.length).toBe(original.length);
    expect(Buffer.compare(Buffer.from(written), original)).toBe(0);
  });
});

/** One 6x8 F32 storage viewed many ways, plus a shared BF16 storage, nested in a training checkpoint. */
function views(): { ck: TorchCheckpoint; want: Record<string, number[]> } {
  const base = Array.from({ length: 48 }, (_, i) => i * 0.5 - 7);
  const bf = Array.from({ length: 12 }, (_, i) => (i - 6) / 4);
  const at = (r: number, c: number) => base[r * 8 + c];
  const want: Record<string, number[]> = {};
  const grid = (rows: number, cols: number, f: (r: number, c: number) => number) => {
    const out: number[] = [];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(f(r, c));
    return out;
  };
  want.full = base;
  want.transposed = grid(8, 6, (r, c) => at(c, r));
  want.cols = grid(6, 3, (r, c) => at(r, c + 2));
  want.rows_at_offset = grid(2, 8, (r, c) => at(r + 3, c));
  want.stepped = grid(3, 4, (r, c) => at(2 * r, 2 * c));
  const perm: number[] = [];
  // [2,3,8] contiguous storage viewed as permute(2,0,1): shape [8,2,3], stride [1,24,8].
  for (let a = 0; a < 8; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) perm.push(base[b * 24 + c * 8 + a]);
  want.permuted = perm;
  want.expanded = grid(4, 8, (_r, c) => at(1, c));
  want.tied = base;
  want.param = base;
  want.from_type = base;
  want.bf16 = bf;
  want.bf16_t = grid(4, 3, (r, c) => bf[c * 4 + r]);
  const t = (storage: string, shape: number[], stride?: number[], storageOffset?: number, extra = {}) =>
    ({ tensor: { storage, shape, stride, storageOffset, ...extra } });
  const ck: TorchCheckpoint = {
    storages: {
      w: { dtype: 'F32', bytes: encodeValues('F32', base) },
      b: { dtype: 'BF16', bytes: encodeValues('BF16', bf) },
      n: { dtype: 'I64', bytes: encodeValues('I64', [1, 2, 3]) },
    },
    root: {
      dict: [
        ['epoch', 3],
        ['lr', 0.25],
        ['state_dict', {
          ordered: [
            ['full', t('w', [6, 8])],
            ['transposed', t('w', [8, 6], [1, 8])],
            ['cols', t('w', [6, 3], [8, 1], 2)],
            ['rows_at_offset', t('w', [2, 8], [8, 1], 24)],
            ['stepped', t('w', [3, 4], [16, 2])],
            ['permuted', t('w', [8, 2, 3], [1, 24, 8])],
            ['expanded', t('w', [4, 8], [0, 1], 8)],
            ['tied', t('w', [6, 8])],
            ['param', t('w', [6, 8], undefined, 0, { parameter: true })],
            ['from_type', t('w', [6, 8], undefined, 0, { fromType: true })],
            ['bf16', t('b', [3, 4])],
            ['bf16_t', t('b', [4, 3], [1, 4])],
            ['steps', t('n', [3])],
          ],
          metadata: true,
        }],
        ['names', { list: ['a', 'b'] }],
      ],
    },
  };
  return { ck, want };
}

describe.each([
  ['zip', (ck: TorchCheckpoint) => writeTorchZip(ck, { byteorder: 'little' }), 'pytorch-zip'],
  ['legacy', (ck: TorchCheckpoint) => writeTorchLegacy(ck), 'pytorch-legacy'],
] as const)('%s round trip', (_name, write, format) => {
  it('every view reads back in logical row-major order; tied entries share one storage span', async () => {
    const { ck, want } = views();
    const source = bufferSource(write(ck), `views.${format}`);
    const index = await readPytorchIndex(source);
    expect(index.format).toBe(format);
    expect(index.statePath).toEqual(['state_dict']);
    expect(index.tensors.map((e) => e.name)).toEqual([...Object.keys(want), 'steps']);
    for (const e of index.tensors) {
      if (e.name === 'steps') {
        expect(e.dtype).toBe('I64');
        continue;
      }
      const m = await readPytorchTensor(source, e);
      expect(Array.from(m.data), e.name).toEqual(want[e.name]);
      expect(m.rows * m.cols).toBe(want[e.name].length);
    }
    const byName = new Map(index.tensors.map((e) => [e.name, e]));
    expect(byName.get('tied')!.storageKey).toBe(byName.get('full')!.storageKey);
    expect([byName.get('tied')!.start, byName.get('tied')!.end]).toEqual([byName.get('full')!.start, byName.get('full')!.end]);
    const off = byName.get('rows_at_offset')!;
    expect(off.storageOffset).toBe(24);
    expect(off.start - byName.get('full')!.start).toBe(24 * 4);
    expect(off.end - off.start).toBe(16 * 4);
  });

  it('a flat state dict', async () => {
    const ck = simpleStateDict([
      { name: 'a.weight', dtype: 'F16', shape: [2, 2], values: [1, -2, 0.5, 65504] },
      { name: 'b.weight', dtype: 'F64', shape: [1, 3], values: [Math.PI, 1e-300, -0] },
    ]);
    const source = bufferSource(write(ck));
    const index = await readPytorchIndex(source);
    expect(index.statePath).toEqual([]);
    expect(Array.from((await readPytorchTensor(source, index.tensors[0])).data)).toEqual([1, -2, 0.5, 65504]);
    const b = await readPytorchTensor(source, index.tensors[1]);
    expect(b.data).toBeInstanceOf(Float64Array);
    expect(Array.from(b.data)).toEqual([Math.PI, 1e-300, -0]);
  });
});
