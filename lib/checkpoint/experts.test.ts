import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCheckpoint } from '@/lib/cli/run-analysis';
import { decodeMxfp4, writeSafetensorsFile } from '@/lib/safetensors';
import { seededRandom } from '@/lib/spectral/rng';
import { layerUnits, openLocalSource } from '.';

/** MoE experts through the seam: 3-D stacks analysed slice by slice, per-expert tensors, MXFP4 pairs. */

const E = 3;
const ROWS = 24;
const COLS = 40;

function gaussian(seed: number, n: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

let dir: string;
const slices = Array.from({ length: E }, (_, e) => gaussian(100 + e, ROWS * COLS));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'experts-'));
  const stack = new Float32Array(E * ROWS * COLS);
  slices.forEach((s, e) => stack.set(s, e * ROWS * COLS));
  await writeSafetensorsFile(join(dir, 'stack.safetensors'), [
    { name: 'model.layers.0.feed_forward.experts.gate_up_proj', dtype: 'F32', shape: [E, ROWS, COLS], data: stack },
    { name: 'model.layers.0.feed_forward.router.weight', dtype: 'F32', shape: [E, COLS], data: gaussian(7, E * COLS) },
  ]);
  await writeSafetensorsFile(
    join(dir, 'separate.safetensors'),
    slices.map((s, e) => ({ name: `model.layers.0.feed_forward.experts.${e}.gate_up_proj.weight`, dtype: 'F32' as const, shape: [ROWS, COLS], data: s })),
  );
  // MXFP4: E x ROWS x (G=2 blocks of 32 values), random nibbles, exponents around 127.
  const G = 2;
  const rand = seededRandom(9);
  const blocks = Uint8Array.from({ length: E * ROWS * G * 16 }, () => Math.floor(rand() * 256));
  const scales = Uint8Array.from({ length: E * ROWS * G }, () => 120 + Math.floor(rand() * 8));
  await writeSafetensorsFile(join(dir, 'mxfp4.safetensors'), [
    { name: 'model.layers.0.mlp.experts.down_proj_blocks', dtype: 'U8', shape: [E, ROWS, G, 16], raw: blocks },
    { name: 'model.layers.0.mlp.experts.down_proj_scales', dtype: 'U8', shape: [E, ROWS, G], raw: scales },
  ]);
  mx = { blocks, scales, G };
});
let mx: { blocks: Uint8Array; scales: Uint8Array; G: number };

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('expert layer units', () => {
  it('a 3-D stack is one unit per expert, each W[e] read alone; a per-expert tensor carries its index', async () => {
    const stack = await openLocalSource(join(dir, 'stack.safetensors'));
    const units = layerUnits(stack.tensors);
    expect(units.filter((u) => u.slice).map((u) => [u.key, u.expert, u.shape])).toEqual(
      Array.from({ length: E }, (_, e) => [`model.layers.0.feed_forward.experts.gate_up_proj#${e}`, e, [ROWS, COLS]]),
    );
    for (let e = 0; e < E; e++) {
      const m = await stack.read(stack.tensors[0], { expert: e });
      expect([m.rows, m.cols]).toEqual([ROWS, COLS]);
      expect(Array.from(m.data)).toEqual(Array.from(slices[e]));
    }
    const separate = await openLocalSource(join(dir, 'separate.safetensors'));
    expect(layerUnits(separate.tensors).map((u) => [u.expert, u.slice])).toEqual([[0, false], [1, false], [2, false]]);
  });

  it('each expert row of a stack equals the analysis of the same matrix stored on its own', async () => {
    const stack = await analyzeCheckpoint(await openLocalSource(join(dir, 'stack.safetensors')), {});
    const separate = await analyzeCheckpoint(await openLocalSource(join(dir, 'separate.safetensors')), {});
    const rows = stack.layers.filter((l) => l.expert !== undefined);
    expect(rows.map((l) => [l.tensor, l.expert, l.name])).toEqual(
      Array.from({ length: E }, (_, e) => ['model.layers.0.feed_forward.experts.gate_up_proj', e, `model.layers.0.feed_forward.experts.gate_up_proj[${e}]`]),
    );
    for (let e = 0; e < E; e++) {
      expect(rows[e].status).toBe('success');
      expect(rows[e].alpha).toBe(separate.layers[e].alpha);
      expect(rows[e].lambda_max).toBe(separate.layers[e].lambda_max);
      expect(separate.layers[e].expert).toBe(e);
    }
    // WeightWatcher's plain mean over every row, and alpha per role beside it.
    // (the router, 3 x 40, is below min_evals and skipped, as WeightWatcher would)
    expect(stack.summary.layers_analyzed).toBe(E);
    expect(Object.keys(stack.summary.by_role)).toEqual(['expert']);
    expect(stack.summary.by_role.expert.layers).toBe(E);
    expect(stack.summary.by_role.expert.alpha_median).toBe([...rows.map((l) => l.alpha as number)].sort((a, b) => a - b)[1]);
    // The router is a dense layer: no expert field.
    expect(stack.layers.find((l) => l.tensor.endsWith('router.weight'))).not.toHaveProperty('expert');
  });

  it('MXFP4 blocks and scales are read as one tensor, decoded exactly, one row per expert', async () => {
    const src = await openLocalSource(join(dir, 'mxfp4.safetensors'));
    const units = layerUnits(src.tensors);
    expect(units.map((u) => [u.tensor.dtype, u.shape, u.skipReason])).toEqual(
      Array.from({ length: E }, () => ['MXFP4', [ROWS, mx.G * 32], null]),
    );
    const per = ROWS * mx.G;
    for (let e = 0; e < E; e++) {
      const m = await src.read(units[e].tensor, { expert: e });
      const expected = decodeMxfp4(mx.blocks.subarray(e * per * 16, (e + 1) * per * 16), mx.scales.subarray(e * per, (e + 1) * per), [1, ROWS, mx.G, 16]);
      expect(Array.from(m.data)).toEqual(Array.from(expected));
    }
  });
});
