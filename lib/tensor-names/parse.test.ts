import { describe, expect, it } from 'vitest';

import type { LayerRole } from '@/lib/types';

import { familyFromConfig, familyFromTensorNames, type ModelFamily } from './families';
import { blockCount, parseTensorName, relativeDepth } from './parse';

type Row = [name: string, block: number | null, role: LayerRole];

/** Expand `{i}` for blocks 0 and 1, as in the first two blocks of a real checkpoint. */
function blocks(rows: Array<[string, LayerRole]>): Row[] {
  const out: Row[] = [];
  for (const i of [0, 1]) for (const [name, role] of rows) out.push([name.replace('{i}', String(i)), i, role]);
  return out;
}

/** Tensor names as they appear in each family's model.safetensors (first two blocks plus embeddings and head). */
const CHECKPOINTS: Record<string, { family: ModelFamily; config: object; rows: Row[] }> = {
  'TinyLlama-1.1B (Llama)': {
    family: 'llama',
    config: { model_type: 'llama', architectures: ['LlamaForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.self_attn.q_proj.weight', 'q'],
        ['model.layers.{i}.self_attn.k_proj.weight', 'k'],
        ['model.layers.{i}.self_attn.v_proj.weight', 'v'],
        ['model.layers.{i}.self_attn.o_proj.weight', 'o'],
        ['model.layers.{i}.mlp.gate_proj.weight', 'gate'],
        ['model.layers.{i}.mlp.up_proj.weight', 'up'],
        ['model.layers.{i}.mlp.down_proj.weight', 'down'],
        ['model.layers.{i}.input_layernorm.weight', 'other'],
        ['model.layers.{i}.post_attention_layernorm.weight', 'other'],
      ]),
      ['model.norm.weight', null, 'other'],
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  'Qwen2.5-0.5B (Qwen2, q/k/v biases, tied head)': {
    family: 'qwen2',
    config: { model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.self_attn.q_proj.weight', 'q'],
        ['model.layers.{i}.self_attn.q_proj.bias', 'q'],
        ['model.layers.{i}.self_attn.k_proj.bias', 'k'],
        ['model.layers.{i}.self_attn.v_proj.bias', 'v'],
        ['model.layers.{i}.self_attn.o_proj.weight', 'o'],
        ['model.layers.{i}.mlp.gate_proj.weight', 'gate'],
        ['model.layers.{i}.mlp.down_proj.weight', 'down'],
      ]),
      ['model.norm.weight', null, 'other'],
    ],
  },
  'Mixtral-8x7B (MoE experts and router)': {
    family: 'mixtral',
    config: { model_type: 'mixtral', architectures: ['MixtralForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.self_attn.q_proj.weight', 'q'],
        ['model.layers.{i}.self_attn.o_proj.weight', 'o'],
        ['model.layers.{i}.block_sparse_moe.gate.weight', 'router'],
        ['model.layers.{i}.block_sparse_moe.experts.0.w1.weight', 'expert'],
        ['model.layers.{i}.block_sparse_moe.experts.7.w2.weight', 'expert'],
        ['model.layers.{i}.block_sparse_moe.experts.3.w3.weight', 'expert'],
      ]),
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  'Gemma-2-2B (Gemma, extra norms, tied head)': {
    family: 'gemma',
    config: { model_type: 'gemma2', architectures: ['Gemma2ForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.self_attn.q_proj.weight', 'q'],
        ['model.layers.{i}.self_attn.k_proj.weight', 'k'],
        ['model.layers.{i}.self_attn.v_proj.weight', 'v'],
        ['model.layers.{i}.self_attn.o_proj.weight', 'o'],
        ['model.layers.{i}.mlp.gate_proj.weight', 'gate'],
        ['model.layers.{i}.mlp.up_proj.weight', 'up'],
        ['model.layers.{i}.mlp.down_proj.weight', 'down'],
        ['model.layers.{i}.pre_feedforward_layernorm.weight', 'other'],
        ['model.layers.{i}.post_feedforward_layernorm.weight', 'other'],
      ]),
      ['model.norm.weight', null, 'other'],
    ],
  },
  'Falcon-7B (fused query_key_value)': {
    family: 'falcon',
    config: { model_type: 'falcon', architectures: ['FalconForCausalLM'] },
    rows: [
      ['transformer.word_embeddings.weight', null, 'embedding'],
      ...blocks([
        ['transformer.h.{i}.input_layernorm.weight', 'other'],
        ['transformer.h.{i}.input_layernorm.bias', 'other'],
        ['transformer.h.{i}.self_attention.query_key_value.weight', 'qkv'],
        ['transformer.h.{i}.self_attention.dense.weight', 'o'],
        ['transformer.h.{i}.mlp.dense_h_to_4h.weight', 'up'],
        ['transformer.h.{i}.mlp.dense_4h_to_h.weight', 'down'],
      ]),
      ['transformer.ln_f.weight', null, 'other'],
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  'Falcon-40B (ln_attn / ln_mlp, RefinedWeb config)': {
    family: 'falcon',
    config: { model_type: 'RefinedWeb', architectures: ['RWForCausalLM'] },
    rows: [
      ['transformer.word_embeddings.weight', null, 'embedding'],
      ...blocks([
        ['transformer.h.{i}.ln_attn.weight', 'other'],
        ['transformer.h.{i}.ln_attn.bias', 'other'],
        ['transformer.h.{i}.ln_mlp.weight', 'other'],
        ['transformer.h.{i}.ln_mlp.bias', 'other'],
        ['transformer.h.{i}.self_attention.query_key_value.weight', 'qkv'],
        ['transformer.h.{i}.self_attention.dense.weight', 'o'],
        ['transformer.h.{i}.mlp.dense_h_to_4h.weight', 'up'],
        ['transformer.h.{i}.mlp.dense_4h_to_h.weight', 'down'],
      ]),
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  'GPT-2 (no prefix, transposed fused c_attn, attn.bias buffer)': {
    family: 'gpt2',
    config: { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] },
    rows: [
      ['wte.weight', null, 'embedding'],
      ['wpe.weight', null, 'embedding'],
      ...blocks([
        ['h.{i}.ln_1.weight', 'other'],
        ['h.{i}.attn.bias', 'other'],
        ['h.{i}.attn.c_attn.weight', 'qkv'],
        ['h.{i}.attn.c_attn.bias', 'qkv'],
        ['h.{i}.attn.c_proj.weight', 'o'],
        ['h.{i}.ln_2.bias', 'other'],
        ['h.{i}.mlp.c_fc.weight', 'up'],
        ['h.{i}.mlp.c_proj.weight', 'down'],
      ]),
      ['ln_f.weight', null, 'other'],
    ],
  },
  'GPT-2 (transformer. prefix, explicit lm_head)': {
    family: 'gpt2',
    config: { architectures: ['GPT2LMHeadModel'] },
    rows: [
      ['transformer.wte.weight', null, 'embedding'],
      ...blocks([
        ['transformer.h.{i}.attn.c_attn.weight', 'qkv'],
        ['transformer.h.{i}.attn.c_proj.weight', 'o'],
        ['transformer.h.{i}.mlp.c_fc.weight', 'up'],
        ['transformer.h.{i}.mlp.c_proj.weight', 'down'],
      ]),
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  'Pythia-70m (GPT-NeoX)': {
    family: 'gpt_neox',
    config: { model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'] },
    rows: [
      ['gpt_neox.embed_in.weight', null, 'embedding'],
      ...blocks([
        ['gpt_neox.layers.{i}.input_layernorm.weight', 'other'],
        ['gpt_neox.layers.{i}.post_attention_layernorm.bias', 'other'],
        ['gpt_neox.layers.{i}.attention.bias', 'other'],
        ['gpt_neox.layers.{i}.attention.masked_bias', 'other'],
        ['gpt_neox.layers.{i}.attention.rotary_emb.inv_freq', 'other'],
        ['gpt_neox.layers.{i}.attention.query_key_value.weight', 'qkv'],
        ['gpt_neox.layers.{i}.attention.dense.weight', 'o'],
        ['gpt_neox.layers.{i}.mlp.dense_h_to_4h.weight', 'up'],
        ['gpt_neox.layers.{i}.mlp.dense_4h_to_h.weight', 'down'],
      ]),
      ['gpt_neox.final_layer_norm.weight', null, 'other'],
      ['embed_out.weight', null, 'lm_head'],
    ],
  },
  'Phi-2 (separate q/k/v, dense, fc1/fc2)': {
    family: 'phi',
    config: { model_type: 'phi', architectures: ['PhiForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.input_layernorm.weight', 'other'],
        ['model.layers.{i}.self_attn.q_proj.weight', 'q'],
        ['model.layers.{i}.self_attn.k_proj.weight', 'k'],
        ['model.layers.{i}.self_attn.v_proj.weight', 'v'],
        ['model.layers.{i}.self_attn.dense.weight', 'o'],
        ['model.layers.{i}.self_attn.dense.bias', 'o'],
        ['model.layers.{i}.mlp.fc1.weight', 'up'],
        ['model.layers.{i}.mlp.fc2.weight', 'down'],
      ]),
      ['model.final_layernorm.weight', null, 'other'],
      ['lm_head.weight', null, 'lm_head'],
      ['lm_head.bias', null, 'lm_head'],
    ],
  },
  'Phi-3-mini (fused qkv_proj and gate_up_proj)': {
    family: 'phi3',
    config: { model_type: 'phi3', architectures: ['Phi3ForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.self_attn.qkv_proj.weight', 'qkv'],
        ['model.layers.{i}.self_attn.o_proj.weight', 'o'],
        ['model.layers.{i}.mlp.gate_up_proj.weight', 'gate_up'],
        ['model.layers.{i}.mlp.down_proj.weight', 'down'],
        ['model.layers.{i}.input_layernorm.weight', 'other'],
      ]),
      ['model.norm.weight', null, 'other'],
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  'OLMo-7B (original hf_olmo naming, untied ff_out head)': {
    family: 'olmo',
    config: { model_type: 'hf_olmo', architectures: ['OLMoForCausalLM'] },
    rows: [
      ['model.transformer.wte.weight', null, 'embedding'],
      ...blocks([
        ['model.transformer.blocks.{i}.att_proj.weight', 'qkv'],
        ['model.transformer.blocks.{i}.attn_out.weight', 'o'],
        ['model.transformer.blocks.{i}.ff_proj.weight', 'gate_up'],
        ['model.transformer.blocks.{i}.ff_out.weight', 'down'],
      ]),
      ['model.transformer.ff_out.weight', null, 'lm_head'],
    ],
  },
  'OLMo-2-1B (HF naming like Llama, q/k norms)': {
    family: 'olmo',
    config: { model_type: 'olmo2', architectures: ['Olmo2ForCausalLM'] },
    rows: [
      ['model.embed_tokens.weight', null, 'embedding'],
      ...blocks([
        ['model.layers.{i}.self_attn.q_proj.weight', 'q'],
        ['model.layers.{i}.self_attn.q_norm.weight', 'other'],
        ['model.layers.{i}.self_attn.k_norm.weight', 'other'],
        ['model.layers.{i}.self_attn.o_proj.weight', 'o'],
        ['model.layers.{i}.mlp.up_proj.weight', 'up'],
        ['model.layers.{i}.post_feedforward_layernorm.weight', 'other'],
      ]),
      ['lm_head.weight', null, 'lm_head'],
    ],
  },
  "Llama-2 (Meta's original consolidated naming)": {
    family: 'llama',
    config: { model_type: 'llama' },
    rows: [
      ['tok_embeddings.weight', null, 'embedding'],
      ...blocks([
        ['layers.{i}.attention.wq.weight', 'q'],
        ['layers.{i}.attention.wk.weight', 'k'],
        ['layers.{i}.attention.wv.weight', 'v'],
        ['layers.{i}.attention.wo.weight', 'o'],
        ['layers.{i}.feed_forward.w1.weight', 'gate'],
        ['layers.{i}.feed_forward.w2.weight', 'down'],
        ['layers.{i}.feed_forward.w3.weight', 'up'],
        ['layers.{i}.attention_norm.weight', 'other'],
      ]),
      ['norm.weight', null, 'other'],
      ['output.weight', null, 'lm_head'],
    ],
  },
};

describe('parseTensorName on real checkpoint name lists', () => {
  for (const [label, { family, config, rows }] of Object.entries(CHECKPOINTS)) {
    it(label, () => {
      expect(familyFromConfig(config)).toBe(family);
      const got = rows.map(([name]) => {
        const info = parseTensorName(name, family);
        return [name, info.blockIndex, info.role];
      });
      expect(got).toEqual(rows);
      // The family hint is not needed for these names.
      expect(rows.map(([name]) => parseTensorName(name).role)).toEqual(rows.map(([, , role]) => role));
      for (const [name, , role] of rows) expect(parseTensorName(name).fused).toBe(role === 'qkv' || role === 'gate_up');
      expect(blockCount(rows.map(([n]) => n))).toBe(2);
    });
  }

  it('guesses the family from names alone (Qwen2 and OLMo-2 use Llama naming, so they read as llama)', () => {
    const guessed = Object.fromEntries(Object.entries(CHECKPOINTS).map(([label, c]) => [label, familyFromTensorNames(c.rows.map(([n]) => n))]));
    expect(Object.values(guessed)).toEqual([
      'llama', // TinyLlama
      'llama', // Qwen2.5
      'mixtral',
      'gemma',
      'falcon',
      'falcon',
      'gpt2',
      'gpt2',
      'gpt_neox',
      'phi',
      'phi3',
      'olmo', // OLMo-1 naming
      'llama', // OLMo-2 naming
      'llama', // Meta's original naming
    ]);
  });
});

describe('family hints and unknown families', () => {
  it('uses the family where a name is ambiguous (Qwen-1 w1/w2)', () => {
    expect(parseTensorName('transformer.h.3.mlp.w1.weight', 'qwen')).toEqual({ blockIndex: 3, role: 'up', fused: false, expert: null, expertRole: null });
    expect(parseTensorName('transformer.h.3.mlp.w2.weight', 'qwen').role).toBe('gate');
    expect(parseTensorName('transformer.h.3.mlp.c_proj.weight', 'qwen').role).toBe('down');
    expect(parseTensorName('transformer.h.3.mlp.w1.weight').role).toBe('gate');
  });

  it('gives role "other" for unknown names without throwing, and still finds block indices', () => {
    for (const name of ['', '.', 'weight', 'foo.bar', 'encoder.weird.0.thing.weight', '0.weight', 'model.layers.x.q_proj.weight', 'a..b', 'x'.repeat(10000)]) {
      expect(() => parseTensorName(name)).not.toThrow();
    }
    expect(parseTensorName('backbone.mixer_stack.4.in_proj.weight')).toEqual({ blockIndex: null, role: 'other', fused: false, expert: null, expertRole: null });
    expect(parseTensorName('model.layers.12.custom_block.projector.weight')).toEqual({ blockIndex: 12, role: 'other', fused: false, expert: null, expertRole: null });
    expect(parseTensorName('model.layers.x.q_proj.weight')).toEqual({ blockIndex: null, role: 'q', fused: false, expert: null, expertRole: null });
    expect(parseTensorName('bert.encoder.layer.5.attention.output.dense.weight')).toEqual({ blockIndex: 5, role: 'o', fused: false, expert: null, expertRole: null });
    expect(parseTensorName('bert.encoder.layer.5.intermediate.dense.weight').role).toBe('up');
    expect(parseTensorName('encoder.block.2.layer.0.SelfAttention.q.weight')).toEqual({ blockIndex: 2, role: 'q', fused: false, expert: null, expertRole: null });
    expect(familyFromConfig({ model_type: 'mamba', architectures: ['MambaForCausalLM'] })).toBe('unknown');
    expect(familyFromConfig(null)).toBe('unknown');
    expect(familyFromConfig({ architectures: ['Qwen2ForCausalLM'] })).toBe('qwen2');
    expect(familyFromTensorNames(['backbone.layers.0.mixer.in_proj.weight'])).toBe('unknown');
    expect(blockCount(['lm_head.weight'])).toBe(0);
  });

  it('places tensors on a relative depth scale for cross-model alignment', () => {
    expect(relativeDepth(parseTensorName('model.embed_tokens.weight'), 32)).toBe(0);
    expect(relativeDepth(parseTensorName('model.layers.0.mlp.up_proj.weight'), 32)).toBeCloseTo(0.5 / 32);
    expect(relativeDepth(parseTensorName('transformer.h.31.mlp.dense_4h_to_h.weight'), 32)).toBeCloseTo(31.5 / 32);
    expect(relativeDepth(parseTensorName('lm_head.weight'), 32)).toBe(1);
  });
});
