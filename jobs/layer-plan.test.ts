import { describe, expect, it } from 'vitest';
import { planLayers, type PlanTensor } from './layer-plan';

/** Layer selection and placement of a checkpoint, as an analysis (and a resumed one) plans its reads. */

let offset = 0;
function t(name: string, shape: number[], dtype = 'BF16'): PlanTensor {
  const bytes = shape.reduce((a, b) => a * b, 1) * 2;
  const out = { name, dtype, shape, start: offset, end: offset + bytes };
  offset += bytes;
  return out;
}

const llama = [
  t('model.embed_tokens.weight', [1000, 64]),
  t('model.layers.0.input_layernorm.weight', [64]),
  t('model.layers.0.self_attn.q_proj.weight', [64, 64]),
  t('model.layers.0.self_attn.k_proj.weight', [8, 64]),
  t('model.layers.0.mlp.down_proj.weight', [64, 128]),
  t('model.layers.1.self_attn.q_proj.weight', [64, 64]),
  t('model.layers.1.self_attn.q_proj.bias', [64]),
  t('model.layers.1.mlp.up_proj.weight', [128, 64], 'I8'),
  t('lm_head.weight', [1000, 64]),
];

describe('planLayers', () => {
  it('selects WeightWatcher layers in checkpoint order and records left-out matrices with a reason', () => {
    const plan = planLayers({ tensors: llama, config: { model_type: 'llama' } });
    expect(plan.todo.map((x) => x.tensor.name)).toEqual([
      'model.embed_tokens.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.1.self_attn.q_proj.weight',
      'lm_head.weight',
    ]);
    expect(plan.layersTotal).toBe(5);
    // k_proj has min(N,M) = 8 < 10; up_proj is int8; the norm vector and the bias are not recorded at all.
    expect(plan.skipped.map((s) => [s.tensor.name, s.reason])).toEqual([
      ['model.layers.0.self_attn.k_proj.weight', expect.stringMatching(/min_evals/)],
      ['model.layers.1.mlp.up_proj.weight', expect.stringMatching(/dtype I8/)],
    ]);
    expect(plan.analysableBytes).toBe(plan.todo.reduce((s, x) => s + x.tensor.end - x.tensor.start, 0));
  });

  it('places tensors by block, role and relative depth', () => {
    const { placements } = planLayers({ tensors: llama });
    expect(placements.get('model.layers.1.self_attn.q_proj.weight')).toMatchObject({ ordinal: 5, blockIndex: 1, role: 'q', fused: false });
    expect(placements.get('model.embed_tokens.weight')).toMatchObject({ blockIndex: null, role: 'embedding', relativeDepth: 0 });
    const d0 = placements.get('model.layers.0.self_attn.q_proj.weight')!.relativeDepth!;
    const d1 = placements.get('model.layers.1.self_attn.q_proj.weight')!.relativeDepth!;
    expect(d0).toBeLessThan(d1);
  });

  it('a resumed run starts at the first layer not stored yet and does not record skips twice', () => {
    const stored = new Set(['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight']);
    const plan = planLayers({ tensors: llama, stored });
    expect(plan.todo[0].tensor.name).toBe('model.layers.0.mlp.down_proj.weight');
    expect(plan.layersTotal).toBe(5);
    expect(plan.skipped.map((s) => s.tensor.name)).toEqual(['model.layers.1.mlp.up_proj.weight']);
  });

  it('a checkpoint with nothing analysable fails permanently with the reason', () => {
    expect(() => planLayers({ tensors: [t('a.weight', [64, 64], 'I8'), t('b.weight', [64], 'F32')] })).toThrow(/unsupported dtype/);
    expect(() => planLayers({ tensors: [t('a.weight', [4, 4], 'F32')] })).toThrow(/no analysable layers/);
  });
});
