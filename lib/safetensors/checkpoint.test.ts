import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openLocalCheckpoint } from './checkpoint';
import { SafetensorsError } from './errors';
import { encodeSafetensors, type TensorSpec } from './write';

const CONFORMANCE = fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));

function ramp(n: number, scale = 1 / 64): number[] {
  return Array.from({ length: n }, (_, i) => ((i % 17) - 8) * scale);
}

function llamaBlock(i: number): TensorSpec[] {
  const p = `model.layers.${i}`;
  return [
    { name: `${p}.self_attn.q_proj.weight`, dtype: 'BF16', shape: [8, 8], data: ramp(64) },
    { name: `${p}.mlp.down_proj.weight`, dtype: 'BF16', shape: [8, 16], data: ramp(128) },
    { name: `${p}.input_layernorm.weight`, dtype: 'F32', shape: [8], data: ramp(8) },
  ];
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-ckpt-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(path, file), content);
  return path;
}

describe('openLocalCheckpoint', () => {
  it('lists a sharded checkpoint in weight_map order and reads tensors from the right shard', async () => {
    const shard1 = encodeSafetensors([...llamaBlock(0), { name: 'model.embed_tokens.weight', dtype: 'F32', shape: [10, 8], data: ramp(80) }]);
    const shard2 = encodeSafetensors([...llamaBlock(1), { name: 'lm_head.weight', dtype: 'F16', shape: [10, 8], data: ramp(80, 1 / 8) }]);
    const order = [
      ['model.embed_tokens.weight', 1],
      ...llamaBlock(0).map((t) => [t.name, 1]),
      ...llamaBlock(1).map((t) => [t.name, 2]),
      ['lm_head.weight', 2],
    ] as const;
    const index = {
      metadata: { total_size: 1234 },
      weight_map: Object.fromEntries(order.map(([n, s]) => [n, `model-0000${s}-of-00002.safetensors`])),
    };
    const path = await folder('sharded', {
      'config.json': JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'] }),
      'model.safetensors.index.json': JSON.stringify(index),
      'model-00001-of-00002.safetensors': shard1,
      'model-00002-of-00002.safetensors': shard2,
    });
    const ck = await openLocalCheckpoint(path);
    expect(ck.tensors.map((t) => t.name)).toEqual(order.map(([n]) => n));
    expect(ck.files.map((f) => f.path)).toEqual([join(path, 'model-00001-of-00002.safetensors'), join(path, 'model-00002-of-00002.safetensors')]);
    expect(ck.config?.model_type).toBe('llama');
    const head = ck.get('lm_head.weight')!;
    expect(head.file).toBe(join(path, 'model-00002-of-00002.safetensors'));
    const decoded = await ck.read(head);
    expect(decoded).toMatchObject({ rows: 10, cols: 8, dtype: 'F16', scaled: false });
    expect(Array.from(decoded.data)).toEqual(ramp(80, 1 / 8));
    const down = await ck.read(ck.get('model.layers.1.mlp.down_proj.weight')!);
    expect([down.rows, down.cols]).toEqual([8, 16]);
    expect(Array.from(down.data)).toEqual(ramp(128));
  });

  it('reports a broken index: missing shard, tensor absent from its shard, shard outside the folder', async () => {
    const shard = encodeSafetensors(llamaBlock(0));
    const base = { 'model-00001-of-00002.safetensors': shard };
    const missing = await folder('missing-shard', {
      ...base,
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'a.weight': 'model-00002-of-00002.safetensors' } }),
    });
    await expect(openLocalCheckpoint(missing)).rejects.toThrow(/weight_map names shard "model-00002-of-00002.safetensors", which is missing/);
    const absent = await folder('absent-tensor', {
      ...base,
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'nope.weight': 'model-00001-of-00002.safetensors' } }),
    });
    await expect(openLocalCheckpoint(absent)).rejects.toThrow(/tensor "nope.weight": listed in the index's weight_map but absent from this shard/);
    const escape = await folder('escape', {
      ...base,
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'a.weight': '../../etc/passwd' } }),
    });
    await expect(openLocalCheckpoint(escape)).rejects.toThrow(/lies outside the checkpoint folder/);
    const badJson = await folder('bad-index', { ...base, 'model.safetensors.index.json': '{"weight_map": ' });
    await expect(openLocalCheckpoint(badJson)).rejects.toThrow(SafetensorsError);
  });

  it('without an index, prefers model.safetensors, else every .safetensors file in natural order', async () => {
    const single = await folder('single', {
      'model.safetensors': encodeSafetensors(llamaBlock(0)),
      'other.safetensors': encodeSafetensors(llamaBlock(5)),
    });
    expect((await openLocalCheckpoint(single)).tensors.map((t) => t.name)).toEqual(llamaBlock(0).map((t) => t.name));

    const several = await folder('several', {
      'part-10.safetensors': encodeSafetensors(llamaBlock(10)),
      'part-2.safetensors': encodeSafetensors(llamaBlock(2)),
      'README.md': 'not weights',
    });
    const ck = await openLocalCheckpoint(several);
    expect(ck.tensors.map((t) => t.name)).toEqual([...llamaBlock(2), ...llamaBlock(10)].map((t) => t.name));

    const dup = await folder('dup', { 'a.safetensors': encodeSafetensors(llamaBlock(0)), 'b.safetensors': encodeSafetensors(llamaBlock(0)) });
    await expect(openLocalCheckpoint(dup)).rejects.toThrow(/b.safetensors: tensor "model.layers.0.self_attn.q_proj.weight": also present in .*a.safetensors/);

    const empty = await folder('empty', { 'config.json': '{}' });
    await expect(openLocalCheckpoint(empty)).rejects.toThrow(/no model.safetensors.index.json, model.safetensors or other .safetensors file/);
    await expect(openLocalCheckpoint(join(dir, 'does-not-exist'))).rejects.toThrow(/cannot open/);
  });

  it('pairs FP8 weights with weight_scale_inv and uses config.json weight_block_size', async () => {
    const rows = 6;
    const cols = 8;
    const values = Array.from({ length: rows * cols }, (_, i) => ((i % 9) - 4) / 4);
    const scales = [1, 2, 4, 8, 16, 32]; // [3, 2] blocks of 2x4
    const path = await folder('fp8', {
      'config.json': JSON.stringify({ model_type: 'deepseek_v3', quantization_config: { quant_method: 'fp8', weight_block_size: [2, 4] } }),
      'model.safetensors': encodeSafetensors([
        { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'F8_E4M3', shape: [rows, cols], data: values },
        { name: 'model.layers.0.mlp.up_proj.weight_scale_inv', dtype: 'F32', shape: [3, 2], data: scales },
        { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'F8_E5M2', shape: [2, 2], data: [1, 2, 3, 4] },
      ]),
    });
    const ck = await openLocalCheckpoint(path);
    const up = ck.get('model.layers.0.mlp.up_proj.weight')!;
    expect(up.scaleTensor).toBe('model.layers.0.mlp.up_proj.weight_scale_inv');
    expect(ck.get('model.layers.0.mlp.up_proj.weight_scale_inv')!.scaleFor).toBe(up.name);
    const got = await ck.read(up);
    expect(got.scaled).toBe(true);
    const expected = values.map((v, i) => v * scales[Math.floor(Math.floor(i / cols) / 2) * 2 + Math.floor((i % cols) / 4)]);
    expect(Array.from(got.data)).toEqual(expected);
    // An FP8 tensor without a scale decodes as stored.
    const down = await ck.read(ck.get('model.layers.0.mlp.down_proj.weight')!);
    expect([down.scaled, ...down.data]).toEqual([false, 1, 2, 3, 4]);
  });
});

describe.skipIf(!existsSync(join(CONFORMANCE, 'tinyllama.safetensors')))('conformance checkpoints', () => {
  /** WeightWatcher's `norm` column is the squared Frobenius norm of the weight as decoded (BF16/F16 upcast exactly). */
  function squaredFrobenius(data: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < data.length; i++) s += data[i] * data[i];
    return s;
  }

  it('tinyllama.safetensors: names, BF16 shapes, and decoded values matching WeightWatcher norms', async () => {
    const expected = JSON.parse(await readFile(join(CONFORMANCE, 'expected.json'), 'utf8')) as Record<
      string,
      { file?: string; shape?: number[]; dtype?: string; analyzed?: boolean; default?: { norm: number } }
    >;
    const ck = await openLocalCheckpoint(join(CONFORMANCE, 'tinyllama.safetensors'));
    const names = ck.tensors.map((t) => t.name);
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain('lm_head.weight');
    for (const b of [0, 1]) {
      for (const m of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) {
        expect(names).toContain(`model.layers.${b}.${m}.weight`);
      }
    }
    let checked = 0;
    for (const t of ck.tensors) {
      const ref = expected[t.name];
      if (!ref || ref.file !== 'tinyllama.safetensors') continue;
      expect(t.dtype).toBe(ref.dtype);
      expect(t.shape).toEqual(ref.shape);
      if (!ref.analyzed || !ref.default) continue;
      const { data } = await ck.read(t);
      expect(squaredFrobenius(data) / ref.default.norm - 1, t.name).toBeLessThan(1e-6);
      expect(squaredFrobenius(data) / ref.default.norm - 1, t.name).toBeGreaterThan(-1e-6);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('lp.safetensors: BF16 and F16 tensors decode to WeightWatcher norms', async () => {
    const expected = JSON.parse(await readFile(join(CONFORMANCE, 'expected.json'), 'utf8')) as Record<string, { default?: { norm: number } }>;
    const ck = await openLocalCheckpoint(join(CONFORMANCE, 'lp.safetensors'));
    expect(new Set(ck.tensors.map((t) => t.dtype))).toEqual(new Set(['BF16', 'F16']));
    for (const t of ck.tensors) {
      const norm = expected[t.name]?.default?.norm;
      if (norm === undefined) continue;
      const { data } = await ck.read(t);
      expect(Math.abs(squaredFrobenius(data) / norm - 1), t.name).toBeLessThan(1e-6);
    }
  });
});
