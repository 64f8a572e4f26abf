/**
 * Tensor name -> (block index, role, fused, expert), for the checkpoint families the leaderboard ranks.
 *
 * Roles come from the module's own name and, where a name is shared between attention and MLP (`dense`,
 * `c_proj`), from the enclosing module. Fused matrices (QKV in one, gate+up in one) are analysed as stored,
 * so they keep their own roles `qkv` / `gate_up` with `fused: true`. Anything unrecognised is role `other`;
 * parsing never throws.
 *
 * Multi-head latent attention (DeepSeek-V2/V3) gets roles of its own rather than q/k/v: `q_a_proj` -> q_a and
 * `q_b_proj` -> q_b (the low-rank down and up projections of the query; models without a query LoRA keep a plain
 * `q_proj` -> q), `kv_a_proj_with_mqa` -> kv_a (the shared latent plus the rope key), `kv_b_proj` -> kv_b (latent to
 * per-head keys and values). Their shapes and spectra are those of low-rank factors, not of q/k/v.
 *
 * Mixture of experts:
 * - role `expert`: a routed expert's matrix. `expert` is its index where the name has one (Mixtral and PhiMoE
 *   `block_sparse_moe.experts.N.w1`, Qwen-MoE / DeepSeek / OLMoE `mlp.experts.N.gate_proj`); null for 3-D tensors
 *   that stack all experts [E, rows, cols] (Llama 4 `feed_forward.experts.gate_up_proj`, gpt-oss
 *   `mlp.experts.gate_up_proj_blocks` in MXFP4, GraniteMoE `block_sparse_moe.input_linear`). `expertRole` is the
 *   projection inside the expert: w1 / gate_proj -> gate, w3 / v1 / up_proj -> up, w2 / down_proj / output_linear ->
 *   down, gate_up_proj / input_linear -> gate_up (then `fused: true`).
 * - role `shared_expert`: the always-on expert (`shared_expert`, DeepSeek's `shared_experts`, GraniteMoE-shared
 *   `shared_mlp`), with expertRole likewise.
 * - role `router`: the gating matrix [E, hidden] (`block_sparse_moe.gate`, `mlp.gate` — not `mlp.gate_proj`, which
 *   is Llama's dense gate —, `mlp.router`, `feed_forward.router`, `router.layer`, `shared_expert_gate`).
 *
 * Vision towers and projectors of multimodal models (`vision_tower.`, `vision_model.`, `visual.`,
 * `multi_modal_projector.`, …) are role `vision` with blockIndex null: block indices count the language model's
 * blocks only, so depth alignment is not disturbed by the tower's own layers.
 */
import type { ExpertRole, LayerRole, TensorNameInfo } from '@/lib/types';

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
  'e_score_correction_bias',
  // bitsandbytes int8: per-row scales and the layout tag
  'SCB',
  'weight_format',
  // OpenAI's original gpt-oss layout: `mlp1_weight.blocks` / `.scales`
  'blocks',
]);

/** Suffixes glued to the module name in gpt-oss's MXFP4 expert tensors (`gate_up_proj_blocks`). */
const GLUED_SUFFIX_RE = /^(.+)_(blocks|scales|bias)$/;

/** Segments that start a vision tower or projector. */
const VISION_SEGMENTS = new Set([
  'vision_tower',
  'vision_model',
  'visual',
  'vision_encoder',
  'vision_embed_tokens',
  'multi_modal_projector',
  'mm_projector',
  'vision_adapter',
  'image_newline',
  'img_processor',
]);

/** Containers of routed experts and of shared experts. */
const EXPERTS = 'experts';
const SHARED_EXPERT_SEGMENTS = new Set(['shared_expert', 'shared_experts', 'shared_mlp']);
/** Modules whose `gate` child is the MoE router rather than a projection. */
const MOE_PARENTS = new Set(['mlp', 'block_sparse_moe', 'moe', 'feed_forward', 'ffn', 'sparse_moe']);

const EXPERT_ROLES: Record<string, ExpertRole> = {
  w1: 'gate',
  gate_proj: 'gate',
  w3: 'up',
  v1: 'up',
  up_proj: 'up',
  w2: 'down',
  down_proj: 'down',
  output_linear: 'down',
  gate_up_proj: 'gate_up',
  input_linear: 'gate_up',
};

const EMBEDDING = new Set(['embed_tokens', 'wte', 'wpe', 'word_embeddings', 'embed_in', 'tok_embeddings', 'embed_positions', 'position_embeddings']);
const LM_HEAD = new Set(['lm_head', 'embed_out']);
/**
 * OPT-350m's projections between a narrower word embedding and the model width: `project_in` follows the embedding,
 * `project_out` precedes the head, and they are counted with them.
 */
const EMBEDDING_PROJECTION: Record<string, LayerRole> = { project_in: 'embedding', project_out: 'lm_head' };
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
  // multi-head latent attention (DeepSeek-V2/V3)
  q_a_proj: 'q_a',
  q_b_proj: 'q_b',
  kv_a_proj_with_mqa: 'kv_a',
  kv_b_proj: 'kv_b',
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
  if (blockIndex === null && Object.prototype.hasOwnProperty.call(EMBEDDING_PROJECTION, leaf)) return EMBEDDING_PROJECTION[leaf];

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

/** True for tensors of a multimodal model's vision tower or projector. */
export function isVisionTensor(name: string): boolean {
  return name.split('.').some((segment) => VISION_SEGMENTS.has(segment));
}

interface MoePart {
  role: LayerRole;
  expert: number | null;
  expertRole: ExpertRole | null;
}

/** The mixture-of-experts reading of a name (segments without parameter suffix), or null for a dense tensor. */
function moePartOf(segments: string[]): MoePart | null {
  const leaf = segments[segments.length - 1] ?? '';
  const parent = segments[segments.length - 2] ?? '';
  const expertRole = Object.prototype.hasOwnProperty.call(EXPERT_ROLES, leaf) ? EXPERT_ROLES[leaf] : null;
  if (segments.slice(0, -1).some((s) => SHARED_EXPERT_SEGMENTS.has(s))) return { role: 'shared_expert', expert: null, expertRole };
  const at = segments.lastIndexOf(EXPERTS);
  if (at >= 0 && at < segments.length - 1) {
    const next = segments[at + 1];
    const expert = /^\d+$/.test(next) ? Number(next) : null;
    return { role: 'expert', expert, expertRole };
  }
  // GraniteMoE: all experts in two 3-D matrices directly under block_sparse_moe.
  if (parent === 'block_sparse_moe' && (leaf === 'input_linear' || leaf === 'output_linear')) {
    return { role: 'expert', expert: null, expertRole };
  }
  const isRouter =
    leaf === 'router' ||
    leaf === 'shared_expert_gate' ||
    (leaf === 'layer' && parent === 'router') ||
    (leaf === 'gate' && MOE_PARENTS.has(parent));
  return isRouter ? { role: 'router', expert: null, expertRole: null } : null;
}

/**
 * Parse a tensor name such as `model.layers.3.self_attn.q_proj.weight`.
 * blockIndex: the transformer block (0-based) or null outside blocks (embeddings, final norm, head, vision tower).
 * Never throws; unknown names give role 'other'.
 */
export function parseTensorName(name: string, family?: ModelFamily): TensorNameInfo {
  const segments = name.split('.');
  if (segments.length > 1 && PARAM_SUFFIXES.has(segments[segments.length - 1])) segments.pop();
  if (segments.some((segment) => VISION_SEGMENTS.has(segment))) {
    return { blockIndex: null, role: 'vision', fused: false, expert: null, expertRole: null };
  }
  const glued = GLUED_SUFFIX_RE.exec(segments[segments.length - 1] ?? '');
  if (glued && (Object.prototype.hasOwnProperty.call(EXPERT_ROLES, glued[1]) || Object.prototype.hasOwnProperty.call(LEAF_ROLES, glued[1]))) {
    segments[segments.length - 1] = glued[1];
  }
  const match = BLOCK_RE.exec(name);
  let blockIndex = match ? Number(match[1]) : null;
  const moe = blockIndex !== null ? moePartOf(segments) : null;
  if (moe) return { blockIndex, ...moe, fused: moe.expertRole === 'gate_up' };
  const role = roleOf(segments, blockIndex, family);
  // Embeddings sit outside blocks even where a checkpoint nests them in one (Phi-2's original `layers.0.wte`).
  if (role === 'embedding') blockIndex = null;
  return { blockIndex, role, fused: FUSED_ROLES.has(role), expert: null, expertRole: null };
}

/** Number of transformer blocks named in a checkpoint (highest block index + 1; 0 if none); vision towers do not count. */
export function blockCount(names: Iterable<string>): number {
  let max = -1;
  for (const n of names) {
    if (isVisionTensor(n)) continue;
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
