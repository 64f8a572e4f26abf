/**
 * Tensor name -> (block index, role, fused), for the checkpoint families the leaderboard ranks.
 *
 * Roles come from the module's own name and, where a name is shared between attention and MLP (`dense`,
 * `c_proj`), from the enclosing module. Fused matrices (QKV in one, gate+up in one) are analysed as stored,
 * so they keep their own roles `qkv` / `gate_up` with `fused: true`. Anything unrecognised is role `other`;
 * parsing never throws.
 */
import type { LayerRole, TensorNameInfo } from '@/lib/types';

import type { ModelFamily } from './families';

/**
 * The first `<container>.<n>.` in the name: model.layers (Llama, Qwen2, Gemma, Phi, OLMo-hf), transformer.h
 * (Falcon, GPT-2) and bare h (GPT-2 files without prefix), gpt_neox.layers, model.decoder.layers,
 * (model.)transformer.blocks (OLMo-1, MPT), encoder.layer / block (BERT, T5) and Meta's original `layers.`.
 */
const BLOCK_RE = /(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)(?=\.|$)/;

/** Trailing parameter names: the role belongs to the module before them. */
const PARAM_SUFFIXES = new Set([
  'weight',
  'bias',
  'weight_scale_inv',
  'weight_scale',
  'input_scale',
  'qweight',
  'qzeros',
  'scales',
  'g_idx',
]);

const EMBEDDING = new Set(['embed_tokens', 'wte', 'wpe', 'word_embeddings', 'embed_in', 'tok_embeddings', 'embed_positions', 'position_embeddings']);
const LM_HEAD = new Set(['lm_head', 'embed_out']);
/** Only outside blocks: Meta's `output.weight`, OLMo-1's untied `model.transformer.ff_out.weight`. */
const TOP_LEVEL_HEAD = new Set(['output', 'ff_out']);

/** Unambiguous module names. */
const LEAF_ROLES: Record<string, LayerRole> = {
  // fused attention input projections
  query_key_value: 'qkv',
  c_attn: 'qkv',
  qkv_proj: 'qkv',
  Wqkv: 'qkv',
  W_pack: 'qkv',
  att_proj: 'qkv',
  // attention
  q_proj: 'q',
  query: 'q',
  wq: 'q',
  k_proj: 'k',
  key: 'k',
  wk: 'k',
  v_proj: 'v',
  value: 'v',
  wv: 'v',
  o_proj: 'o',
  out_proj: 'o',
  wo: 'o',
  attn_out: 'o',
  // MLP
  gate_proj: 'gate',
  w1: 'gate',
  up_proj: 'up',
  w3: 'up',
  c_fc: 'up',
  dense_h_to_4h: 'up',
  fc1: 'up',
  fc_in: 'up',
  down_proj: 'down',
  w2: 'down',
  dense_4h_to_h: 'down',
  fc2: 'down',
  fc_out: 'down',
  ff_out: 'down',
  // fused MLP input projections (OLMo-1's ff_proj feeds SwiGLU: gate and up in one matrix)
  gate_up_proj: 'gate_up',
  ff_proj: 'gate_up',
};

/** Where a family reuses a name differently (Qwen-1: w1/w2 are the two halves of the MLP input, c_proj the output). */
const FAMILY_LEAF_ROLES: Partial<Record<ModelFamily, Record<string, LayerRole>>> = {
  qwen: { w1: 'up', w2: 'gate' },
};

const FUSED_ROLES = new Set<LayerRole>(['qkv', 'gate_up']);

function isAttentionModule(segment: string): boolean {
  return /att|mixer/i.test(segment);
}

function roleOf(segments: string[], blockIndex: number | null, family?: ModelFamily): LayerRole {
  const leaf = segments[segments.length - 1] ?? '';
  const parents = segments.slice(0, -1);
  const parent = parents[parents.length - 1] ?? '';
  if (EMBEDDING.has(leaf)) return 'embedding';
  if (LM_HEAD.has(leaf) && blockIndex === null) return 'lm_head';
  if (TOP_LEVEL_HEAD.has(leaf) && blockIndex === null) return 'lm_head';

  const familyRole = family ? FAMILY_LEAF_ROLES[family]?.[leaf] : undefined;
  if (familyRole) return familyRole;
  if (Object.prototype.hasOwnProperty.call(LEAF_ROLES, leaf)) return LEAF_ROLES[leaf];

  const inAttention = parents.some(isAttentionModule);
  switch (leaf) {
    case 'c_proj': // GPT-2 / Qwen-1: attn.c_proj is the output projection, mlp.c_proj the down projection
      return inAttention ? 'o' : 'down';
    case 'dense': // Falcon self_attention.dense, NeoX attention.dense, Phi-2 self_attn.dense; BERT intermediate/output
      if (inAttention) return 'o';
      if (parent === 'intermediate') return 'up';
      if (parent === 'output') return 'down';
      return 'other';
    case 'q':
    case 'k':
    case 'v':
    case 'o': // T5-style SelfAttention.q/k/v/o
      return inAttention ? (leaf as LayerRole) : 'other';
    default:
      return 'other';
  }
}

/**
 * Parse a tensor name such as `model.layers.3.self_attn.q_proj.weight`.
 * blockIndex: the transformer block (0-based) or null outside blocks (embeddings, final norm, head).
 * Never throws; unknown names give role 'other'.
 */
export function parseTensorName(name: string, family?: ModelFamily): TensorNameInfo {
  const match = BLOCK_RE.exec(name);
  const blockIndex = match ? Number(match[1]) : null;
  const segments = name.split('.');
  if (segments.length > 1 && PARAM_SUFFIXES.has(segments[segments.length - 1])) segments.pop();
  const role = roleOf(segments, blockIndex, family);
  return { blockIndex, role, fused: FUSED_ROLES.has(role) };
}

/** Number of transformer blocks named in a checkpoint (highest block index + 1; 0 if none). */
export function blockCount(names: Iterable<string>): number {
  let max = -1;
  for (const n of names) {
    const match = BLOCK_RE.exec(n);
    if (match) max = Math.max(max, Number(match[1]));
  }
  return max + 1;
}

/**
 * Position of a tensor in depth on [0, 1], for lining up models of different depth: block i of n sits at
 * (i + 0.5) / n; embeddings at 0, the head at 1; other tensors outside blocks (final norm) at 1.
 */
export function relativeDepth(info: TensorNameInfo, blocks: number): number {
  if (info.blockIndex !== null && blocks > 0) return Math.min(1, (info.blockIndex + 0.5) / blocks);
  return info.role === 'embedding' ? 0 : 1;
}
