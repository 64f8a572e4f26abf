/**
 * parseTensorName on key lists of real architectures (lib/tensor-names/__fixtures__/*.json: the first blocks and the
 * top-level keys of each checkpoint, with the source the names come from). Per architecture: the family from its
 * config, the roles every weight matrix gets, spot checks of block, role, expert and expertRole, and that no weight
 * matrix falls into 'other'.
 */
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { ExpertRole, LayerRole } from '@/lib/types';

import { familyFromConfig, familyFromTensorNames, type ModelFamily } from './families';
import { blockCount, isVisionTensor, parseTensorName } from './parse';

interface Fixture {
  label: string;
  source: string;
  kind: 'weight_map' | 'architecture-template' | 'module-names';
  config: { model_type?: string; architectures?: string[] };
  keys: string[];
}

const DIR = path.join(__dirname, '__fixtures__');
const load = (file: string): Fixture => JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Fixture;

/** Weight matrices: 2-D (or stacked 3-D expert) weights, not norms, biases, buffers or scales. */
function isWeightMatrix(key: string): boolean {
  if (/(^|\.|_)(norm|ln|layernorm|layer_norm)[^.]*\.weight$|(^|\.)(ln_\w+|ln|ln_f|norm\d?)\.weight$/i.test(key)) return false;
  if (/norm/i.test(key.split('.').slice(-2, -1)[0] ?? '')) return false;
  return /\.weight$|\.experts\.(gate_up_proj|down_proj)(_blocks)?$|_projection_weight$/.test(key);
}

type Spot = [key: string, block: number | null, role: LayerRole, expert?: number | null, expertRole?: ExpertRole | null];

interface Case {
  family: ModelFamily;
  /** Family guessed from the names alone, where it differs from the config's. */
  familyFromNames?: ModelFamily;
  /** Roles of the weight matrices in the list. */
  roles: LayerRole[];
  blocks: number;
  spots: Spot[];
}

const CASES: Record<string, Case> = {
  'llama-2.json': {
    family: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.mlp.gate_proj.weight', 1, 'gate'], ['lm_head.weight', null, 'lm_head']],
  },
  'llama-3.json': {
    family: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.0.self_attn.k_proj.weight', 0, 'k']],
  },
  'mistral.json': {
    family: 'mistral',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.self_attn.o_proj.weight', 1, 'o']],
  },
  'mixtral.json': {
    family: 'mixtral',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.layers.0.block_sparse_moe.gate.weight', 0, 'router', null, null],
      ['model.layers.0.block_sparse_moe.experts.0.w1.weight', 0, 'expert', 0, 'gate'],
      ['model.layers.1.block_sparse_moe.experts.7.w2.weight', 1, 'expert', 7, 'down'],
      ['model.layers.1.block_sparse_moe.experts.1.w3.weight', 1, 'expert', 1, 'up'],
    ],
  },
  'qwen2.json': {
    family: 'qwen2',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.0.self_attn.q_proj.bias', 0, 'q']],
  },
  'qwen3.json': {
    family: 'qwen2',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.self_attn.q_norm.weight', 1, 'other']],
  },
  'qwen2-moe.json': {
    family: 'qwen2_moe',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'shared_expert', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.layers.0.mlp.gate.weight', 0, 'router', null, null],
      ['model.layers.0.mlp.experts.59.down_proj.weight', 0, 'expert', 59, 'down'],
      ['model.layers.1.mlp.experts.0.gate_proj.weight', 1, 'expert', 0, 'gate'],
      ['model.layers.1.mlp.shared_expert.up_proj.weight', 1, 'shared_expert', null, 'up'],
      ['model.layers.1.mlp.shared_expert_gate.weight', 1, 'router', null, null],
    ],
  },
  'qwen3-moe.json': {
    family: 'qwen2_moe',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.mlp.experts.127.up_proj.weight', 1, 'expert', 127, 'up'], ['model.layers.1.mlp.gate.weight', 1, 'router', null, null]],
  },
  'qwen3-moe-fused.json': {
    family: 'qwen2_moe',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.layers.0.mlp.experts.gate_up_proj', 0, 'expert', null, 'gate_up'],
      ['model.layers.0.mlp.experts.down_proj', 0, 'expert', null, 'down'],
      ['model.layers.0.mlp.gate.weight', 0, 'router', null, null],
    ],
  },
  'gemma.json': {
    family: 'gemma',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down'],
    blocks: 2,
    spots: [['model.embed_tokens.weight', null, 'embedding']],
  },
  'gemma-2.json': {
    family: 'gemma',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.pre_feedforward_layernorm.weight', 1, 'other']],
  },
  'gemma3-vision.json': {
    family: 'gemma3',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'vision'],
    blocks: 2,
    spots: [
      ['language_model.model.layers.1.mlp.down_proj.weight', 1, 'down'],
      ['vision_tower.vision_model.encoder.layers.1.self_attn.q_proj.weight', null, 'vision'],
      ['vision_tower.vision_model.embeddings.patch_embedding.weight', null, 'vision'],
      ['multi_modal_projector.mm_input_projection_weight', null, 'vision'],
    ],
  },
  'phi-2.json': {
    family: 'phi',
    familyFromNames: 'unknown',
    roles: ['embedding', 'qkv', 'o', 'up', 'down'],
    blocks: 2,
    spots: [['layers.0.wte.weight', null, 'embedding'], ['layers.1.mixer.Wqkv.weight', 1, 'qkv'], ['layers.1.mixer.out_proj.weight', 1, 'o']],
  },
  'phi-3.json': {
    family: 'phi3',
    roles: ['embedding', 'qkv', 'o', 'gate_up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.0.mlp.gate_up_proj.weight', 0, 'gate_up']],
  },
  'phi-4.json': {
    family: 'phi3',
    roles: ['embedding', 'qkv', 'o', 'gate_up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.self_attn.qkv_proj.weight', 1, 'qkv']],
  },
  'phi-3.5-moe.json': {
    family: 'phimoe',
    familyFromNames: 'mixtral',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.layers.0.block_sparse_moe.experts.15.w1.weight', 0, 'expert', 15, 'gate'],
      ['model.layers.0.block_sparse_moe.gate.weight', 0, 'router', null, null],
      ['lm_head.bias', null, 'lm_head'],
    ],
  },
  'deepseek-v2-lite.json': {
    family: 'deepseek',
    roles: ['embedding', 'q', 'kv_a', 'kv_b', 'o', 'gate', 'up', 'down', 'router', 'expert', 'shared_expert', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.layers.0.mlp.gate_proj.weight', 0, 'gate'],
      ['model.layers.1.mlp.gate.weight', 1, 'router', null, null],
      ['model.layers.1.self_attn.kv_a_proj_with_mqa.weight', 1, 'kv_a'],
      ['model.layers.1.mlp.experts.63.gate_proj.weight', 1, 'expert', 63, 'gate'],
      ['model.layers.1.mlp.shared_experts.down_proj.weight', 1, 'shared_expert', null, 'down'],
    ],
  },
  'deepseek-v3.json': {
    family: 'deepseek',
    roles: ['embedding', 'q_a', 'q_b', 'kv_a', 'kv_b', 'o', 'gate', 'up', 'down', 'router', 'expert', 'shared_expert', 'lm_head'],
    blocks: 4,
    spots: [
      ['model.layers.3.self_attn.q_a_proj.weight', 3, 'q_a'],
      ['model.layers.3.self_attn.q_b_proj.weight_scale_inv', 3, 'q_b'],
      ['model.layers.3.self_attn.kv_b_proj.weight', 3, 'kv_b'],
      ['model.layers.3.mlp.gate.e_score_correction_bias', 3, 'router', null, null],
      ['model.layers.3.mlp.experts.255.up_proj.weight_scale_inv', 3, 'expert', 255, 'up'],
      ['model.layers.3.mlp.shared_experts.gate_proj.weight', 3, 'shared_expert', null, 'gate'],
    ],
  },
  'olmoe.json': {
    family: 'olmoe',
    familyFromNames: 'qwen2_moe',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.mlp.experts.63.down_proj.weight', 1, 'expert', 63, 'down'], ['model.layers.0.mlp.gate.weight', 0, 'router', null, null]],
  },
  'olmo-2.json': {
    family: 'olmo',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.0.post_feedforward_layernorm.weight', 0, 'other']],
  },
  'granite.json': {
    family: 'granite',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.1.mlp.down_proj.bias', 1, 'down']],
  },
  'granitemoe.json': {
    family: 'granitemoe',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert'],
    blocks: 2,
    spots: [
      ['model.layers.0.block_sparse_moe.input_linear.weight', 0, 'expert', null, 'gate_up'],
      ['model.layers.0.block_sparse_moe.output_linear.weight', 0, 'expert', null, 'down'],
      ['model.layers.1.block_sparse_moe.router.layer.weight', 1, 'router', null, null],
    ],
  },
  'llama4.json': {
    family: 'llama4',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'shared_expert', 'expert', 'router', 'gate', 'up', 'down', 'lm_head', 'vision'],
    blocks: 2,
    spots: [
      ['language_model.model.layers.0.feed_forward.experts.gate_up_proj', 0, 'expert', null, 'gate_up'],
      ['language_model.model.layers.0.feed_forward.experts.down_proj', 0, 'expert', null, 'down'],
      ['language_model.model.layers.1.feed_forward.router.weight', 1, 'router', null, null],
      ['language_model.model.layers.1.feed_forward.shared_expert.gate_proj.weight', 1, 'shared_expert', null, 'gate'],
      ['language_model.model.layers.1.feed_forward.up_proj.weight', 1, 'up'],
      ['language_model.lm_head.weight', null, 'lm_head'],
      ['vision_model.model.layers.1.self_attn.q_proj.weight', null, 'vision'],
      ['multi_modal_projector.linear_1.weight', null, 'vision'],
    ],
  },
  'gpt-oss.json': {
    family: 'gpt_oss',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.layers.0.mlp.experts.gate_up_proj_blocks', 0, 'expert', null, 'gate_up'],
      ['model.layers.0.mlp.experts.gate_up_proj_scales', 0, 'expert', null, 'gate_up'],
      ['model.layers.1.mlp.experts.down_proj_blocks', 1, 'expert', null, 'down'],
      ['model.layers.1.mlp.experts.down_proj_bias', 1, 'expert', null, 'down'],
      ['model.layers.1.mlp.router.weight', 1, 'router', null, null],
      ['model.layers.1.self_attn.sinks', 1, 'other'],
    ],
  },
  'falcon-40b.json': {
    family: 'falcon',
    roles: ['embedding', 'qkv', 'o', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['transformer.h.1.self_attention.query_key_value.weight', 1, 'qkv']],
  },
  'gpt2.json': {
    family: 'gpt2',
    roles: ['embedding', 'qkv', 'o', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['transformer.h.0.mlp.c_proj.weight', 0, 'down'], ['transformer.h.0.attn.c_proj.weight', 0, 'o']],
  },
  'gpt-j.json': {
    family: 'gptj',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['transformer.h.1.mlp.fc_in.weight', 1, 'up'], ['transformer.h.1.attn.out_proj.weight', 1, 'o'], ['lm_head.bias', null, 'lm_head']],
  },
  'gpt-neox.json': {
    family: 'gpt_neox',
    roles: ['embedding', 'qkv', 'o', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['gpt_neox.layers.0.attention.dense.weight', 0, 'o'], ['embed_out.weight', null, 'lm_head']],
  },
  'opt.json': {
    family: 'opt',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [
      ['model.decoder.layers.0.fc1.weight', 0, 'up'],
      ['model.decoder.layers.0.self_attn.out_proj.weight', 0, 'o'],
      ['model.decoder.project_in.weight', null, 'embedding'],
      ['model.decoder.project_out.weight', null, 'lm_head'],
    ],
  },
  'bloom.json': {
    family: 'bloom',
    roles: ['embedding', 'qkv', 'o', 'up', 'down'],
    blocks: 2,
    spots: [['h.1.self_attention.dense.weight', 1, 'o'], ['word_embeddings.weight', null, 'embedding']],
  },
  'stablelm.json': {
    family: 'stablelm',
    familyFromNames: 'llama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head'],
    blocks: 2,
    spots: [['model.layers.0.self_attn.q_proj.bias', 0, 'q']],
  },
  'qwen2-vl.json': {
    family: 'qwen2_vl',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head', 'vision'],
    blocks: 2,
    spots: [['visual.blocks.1.attn.qkv.weight', null, 'vision'], ['visual.merger.mlp.0.weight', null, 'vision'], ['model.layers.1.mlp.up_proj.weight', 1, 'up']],
  },
  'mllama.json': {
    family: 'mllama',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head', 'vision'],
    blocks: 4,
    spots: [
      ['language_model.model.layers.3.cross_attn.k_proj.weight', 3, 'k'],
      ['language_model.model.layers.3.cross_attn_attn_gate', 3, 'other'],
      ['vision_model.transformer.layers.1.self_attn.q_proj.weight', null, 'vision'],
      ['vision_model.global_transformer.layers.0.mlp.fc1.weight', null, 'vision'],
      ['multi_modal_projector.weight', null, 'vision'],
    ],
  },
  'llava.json': {
    family: 'llava',
    roles: ['embedding', 'q', 'k', 'v', 'o', 'gate', 'up', 'down', 'lm_head', 'vision'],
    blocks: 2,
    spots: [['vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight', null, 'vision'], ['multi_modal_projector.linear_2.weight', null, 'vision']],
  },
};

describe('tensor names of real architectures', () => {
  it('has a case for every fixture and a fixture for every case, each naming its source', () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(Object.keys(CASES).sort());
    for (const f of files) {
      const fx = load(f);
      expect(fx.source, f).toMatch(/^github:[\w.-]+\/[\w.-]+\//);
      expect(fx.keys.length, f).toBeGreaterThan(5);
    }
  });

  for (const [file, c] of Object.entries(CASES)) {
    it(`${file}`, () => {
      const fx = load(file);
      expect(familyFromConfig(fx.config), 'family from config').toBe(c.family);
      expect(familyFromTensorNames(fx.keys), 'family from names').toBe(c.familyFromNames ?? c.family);

      const matrices = fx.keys.filter(isWeightMatrix);
      const parsed = matrices.map((k) => [k, parseTensorName(k, c.family)] as const);
      // No weight matrix of the list is left as 'other'.
      expect(parsed.filter(([, info]) => info.role === 'other').map(([k]) => k)).toEqual([]);
      expect(new Set(parsed.map(([, info]) => info.role))).toEqual(new Set(c.roles));

      for (const [key, block, role, expert, expertRole] of c.spots) {
        expect(fx.keys, `${key} is in the list`).toContain(key);
        const info = parseTensorName(key, c.family);
        expect({ key, blockIndex: info.blockIndex, role: info.role }).toEqual({ key, blockIndex: block, role });
        if (expert !== undefined) expect(info.expert, key).toBe(expert);
        if (expertRole !== undefined) expect(info.expertRole, key).toBe(expertRole);
      }

      for (const [key, info] of fx.keys.map((k) => [k, parseTensorName(k, c.family)] as const)) {
        // Without the family hint the names read the same.
        expect(parseTensorName(key), key).toEqual(info);
        // Experts: an index only on expert matrices, a within-expert role only on expert and shared-expert ones.
        if (info.expert !== null) expect(info.role, key).toBe('expert');
        if (info.expertRole !== null) expect(['expert', 'shared_expert'], key).toContain(info.role);
        if (info.role === 'expert' || info.role === 'shared_expert') expect(info.expertRole, key).not.toBeNull();
        const m = /\.experts\.(\d+)\./.exec(key);
        expect(info.expert, key).toBe(m ? Number(m[1]) : null);
        expect(info.fused, key).toBe(info.role === 'qkv' || info.role === 'gate_up' || info.expertRole === 'gate_up');
        if (info.role === 'vision') expect(isVisionTensor(key), key).toBe(true);
        if (info.blockIndex !== null) expect(info.blockIndex, key).toBeLessThan(c.blocks);
      }
      expect(blockCount(fx.keys)).toBe(c.blocks);
    });
  }
});
