/**
 * Synthetic demo checkpoints (owner `demo`) in the real Hugging Face layout, for the offline demo and tests.
 *
 * Miniature but realistic architectures (Llama, Falcon with fused query_key_value, GPT-2 with transposed fused
 * c_attn and its attn.bias buffer, GPT-NeoX/Pythia with a training series) whose weights carry planted spectra
 * (planted-spectra.ts), so the leaderboard has real differences to rank: heavy-tailed "trained" layers, a
 * random-like "under-trained" twin, bulk+spikes, spectra that evolve over training checkpoints, and a fine-tune
 * whose card names its base model. Then the other ways checkpoints are stored: an OPT-style model only as sharded
 * PyTorch zip `.bin` files, a GPT-J-style model as one legacy-format (pre-1.6) `pytorch_model.bin`, a pickle-only
 * GPT-NeoX whose safetensors live in the conversion bot's pull request `refs/pr/1`, mixture-of-experts models with
 * per-expert tensors (Mixtral) and with 3-D expert stacks (Llama 4), and a byte-identical mirror of another repo.
 * Every card says the model is synthetic. Deterministic under `seed`: the same seed gives the same bytes and
 * therefore the same commit shas. The pickle files are written by lib/pytorch's test writer (torch.save's layout).
 *
 * Sizes: hidden 256, 2-4 blocks, vocab 2048 (no layer with M > 1024), so the whole set analyses in a few minutes.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeTorchLegacy, writeTorchZip, type TorchCheckpoint, type TorchValue } from '../pytorch/testing/write-torch';
import { encodeSafetensors, encodeTensorData, type TensorSpec } from '../safetensors/write';
import { byteLength, type SafetensorsDtype } from '../safetensors/dtype';
import { numel } from '../safetensors/header';
import { formatModelCard, type CardData } from './model-card';
import {
  blend,
  createRng,
  gaussianMatrix,
  heavyTailedMatrix,
  spikedMatrix,
  paretoEntriesMatrix,
  transpose,
  type Rng,
} from './planted-spectra';
import { commitFiles, writeStandInRepo, type RepoFiles } from './repo-store';

export const DEMO_OWNER = 'demo';
const STD = 0.02;
const GENERATOR_VERSION = 2;

export type DemoSpectrum = 'heavy-tailed' | 'random-like' | 'bulk+spikes' | 'training-series' | 'fine-tune' | 'experts' | 'mirror';

/** How a demo repo stores its weights on `main`. */
export type DemoStorage = 'safetensors' | 'pytorch-zip' | 'pytorch-legacy';

/** The conversion bot's account and PR title, as lib/hub/conversion-pr.ts expects them. */
export const DEMO_CONVERSION_BOT = 'SFconvertbot';
export const DEMO_CONVERSION_TITLE = 'Adding `safetensors` variant of this model';

export interface DemoRepoSummary {
  id: string;
  family: string;
  dtype: SafetensorsDtype;
  sharded: boolean;
  spectrum: DemoSpectrum;
  /** Format of the weight files on `main`. */
  storage: DemoStorage;
  /** Refs in training order for a series (`step1000`, ...), else just `main`. */
  revisions: Array<{ ref: string; sha: string }>;
  baseModel?: string;
  /** The conversion bot's pull request: its ref, head sha and parent (main's sha). */
  pullRequest?: { ref: string; num: number; sha: string; parent: string };
  /** Experts per MoE layer. */
  experts?: number;
  /** The repo whose weight files this one re-uploads byte for byte. */
  mirrorOf?: string;
}

export interface GenerateDemoOptions {
  seed?: number;
  /** Generate only these repo ids (default: all of DEMO_REPO_IDS). */
  only?: string[];
  /** Regenerate even when `<root>/.demo.json` says this seed was already written. */
  force?: boolean;
}

/** A weight plan: the values of one 2-D weight, given its role and block. */
type Plan = (name: string, rows: number, cols: number, role: string, block: number) => Float64Array;

interface Built {
  config: Record<string, unknown>;
  tensors: TensorSpec[];
}

/** Values of one 2-D expert matrix (`expert` 0-based), or of a dense weight when `expert` is null. */
type ExpertPlan = (name: string, rows: number, cols: number, role: string, block: number, expert: number | null) => Float64Array;

const smallVector = (n: number, center: number, rng: Rng) =>
  Float64Array.from({ length: n }, () => center + (rng.nextFloat() - 0.5) * 0.02);

function llama(dtype: SafetensorsDtype, plan: Plan, rng: Rng): Built {
  const hidden = 256, inter = 688, layers = 4, heads = 8, kvHeads = 4, vocab = 2048;
  const kv = (hidden / heads) * kvHeads;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block) });
  const vec = (name: string, n: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, 1, rng) });
  mat('model.embed_tokens.weight', vocab, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    vec(`${p}.input_layernorm.weight`, hidden);
    mat(`${p}.self_attn.q_proj.weight`, hidden, hidden, 'q', i);
    mat(`${p}.self_attn.k_proj.weight`, kv, hidden, 'k', i);
    mat(`${p}.self_attn.v_proj.weight`, kv, hidden, 'v', i);
    mat(`${p}.self_attn.o_proj.weight`, hidden, hidden, 'o', i);
    vec(`${p}.post_attention_layernorm.weight`, hidden);
    mat(`${p}.mlp.gate_proj.weight`, inter, hidden, 'gate', i);
    mat(`${p}.mlp.up_proj.weight`, inter, hidden, 'up', i);
    mat(`${p}.mlp.down_proj.weight`, hidden, inter, 'down', i);
  }
  vec('model.norm.weight', hidden);
  mat('lm_head.weight', vocab, hidden, 'lm_head', layers);
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: hidden, intermediate_size: inter,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, vocab_size: vocab,
    max_position_embeddings: 512, rms_norm_eps: 1e-5, hidden_act: 'silu', rope_theta: 10000,
    tie_word_embeddings: false, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

function falcon(dtype: SafetensorsDtype, plan: Plan, rng: Rng): Built {
  const hidden = 256, heads = 4, layers = 4, vocab = 2048, headDim = hidden / heads;
  const qkv = hidden + 2 * headDim; // multi-query: all query heads, then one K and one V head
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block) });
  const vec = (name: string, n: number, center: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, center, rng) });
  mat('transformer.word_embeddings.weight', vocab, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `transformer.h.${i}`;
    vec(`${p}.input_layernorm.weight`, hidden, 1);
    vec(`${p}.input_layernorm.bias`, hidden, 0);
    mat(`${p}.self_attention.query_key_value.weight`, qkv, hidden, 'qkv', i);
    mat(`${p}.self_attention.dense.weight`, hidden, hidden, 'o', i);
    mat(`${p}.mlp.dense_h_to_4h.weight`, 4 * hidden, hidden, 'up', i);
    mat(`${p}.mlp.dense_4h_to_h.weight`, hidden, 4 * hidden, 'down', i);
  }
  vec('transformer.ln_f.weight', hidden, 1);
  vec('transformer.ln_f.bias', hidden, 0);
  const config = {
    architectures: ['FalconForCausalLM'], model_type: 'falcon', hidden_size: hidden, num_attention_heads: heads,
    num_hidden_layers: layers, vocab_size: vocab, multi_query: true, parallel_attn: true, new_decoder_architecture: false,
    bias: false, alibi: false, layer_norm_epsilon: 1e-5, tie_word_embeddings: true, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

function gpt2(dtype: SafetensorsDtype, plan: Plan, rng: Rng): Built {
  const embd = 256, layers = 4, heads = 4, vocab = 2048, positions = 256;
  const t: TensorSpec[] = [];
  // Conv1D weights are stored [in, out]: plan the [out, in] matrix and store its transpose
  const conv = (name: string, inDim: number, outDim: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [inDim, outDim], data: transpose(plan(name, outDim, inDim, role, block), outDim, inDim) });
  const vec = (name: string, n: number, center: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, center, rng) });
  t.push({ name: 'wte.weight', dtype, shape: [vocab, embd], data: plan('wte.weight', vocab, embd, 'embedding', -1) });
  t.push({ name: 'wpe.weight', dtype, shape: [positions, embd], data: plan('wpe.weight', positions, embd, 'embedding', -1) });
  const mask = new Float64Array(positions * positions);
  for (let r = 0; r < positions; r++) for (let c = 0; c <= r; c++) mask[r * positions + c] = 1;
  for (let i = 0; i < layers; i++) {
    const p = `h.${i}`;
    vec(`${p}.ln_1.weight`, embd, 1);
    vec(`${p}.ln_1.bias`, embd, 0);
    t.push({ name: `${p}.attn.bias`, dtype, shape: [1, 1, positions, positions], data: mask });
    conv(`${p}.attn.c_attn.weight`, embd, 3 * embd, 'qkv', i);
    vec(`${p}.attn.c_attn.bias`, 3 * embd, 0);
    conv(`${p}.attn.c_proj.weight`, embd, embd, 'o', i);
    vec(`${p}.attn.c_proj.bias`, embd, 0);
    vec(`${p}.ln_2.weight`, embd, 1);
    vec(`${p}.ln_2.bias`, embd, 0);
    conv(`${p}.mlp.c_fc.weight`, embd, 4 * embd, 'up', i);
    vec(`${p}.mlp.c_fc.bias`, 4 * embd, 0);
    conv(`${p}.mlp.c_proj.weight`, 4 * embd, embd, 'down', i);
    vec(`${p}.mlp.c_proj.bias`, embd, 0);
  }
  vec('ln_f.weight', embd, 1);
  vec('ln_f.bias', embd, 0);
  const config = {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: embd, n_layer: layers, n_head: heads,
    vocab_size: vocab, n_positions: positions, n_ctx: positions, activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

function gptNeox(dtype: SafetensorsDtype, plan: Plan, rng: Rng, layers = 4): Built {
  const hidden = 256, heads = 4, vocab = 2048;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block) });
  const vec = (name: string, n: number, center: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, center, rng) });
  mat('gpt_neox.embed_in.weight', vocab, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `gpt_neox.layers.${i}`;
    vec(`${p}.input_layernorm.weight`, hidden, 1);
    vec(`${p}.input_layernorm.bias`, hidden, 0);
    vec(`${p}.post_attention_layernorm.weight`, hidden, 1);
    vec(`${p}.post_attention_layernorm.bias`, hidden, 0);
    mat(`${p}.attention.query_key_value.weight`, 3 * hidden, hidden, 'qkv', i);
    vec(`${p}.attention.query_key_value.bias`, 3 * hidden, 0);
    mat(`${p}.attention.dense.weight`, hidden, hidden, 'o', i);
    vec(`${p}.attention.dense.bias`, hidden, 0);
    mat(`${p}.mlp.dense_h_to_4h.weight`, 4 * hidden, hidden, 'up', i);
    vec(`${p}.mlp.dense_h_to_4h.bias`, 4 * hidden, 0);
    mat(`${p}.mlp.dense_4h_to_h.weight`, hidden, 4 * hidden, 'down', i);
    vec(`${p}.mlp.dense_4h_to_h.bias`, hidden, 0);
  }
  vec('gpt_neox.final_layer_norm.weight', hidden, 1);
  vec('gpt_neox.final_layer_norm.bias', hidden, 0);
  mat('embed_out.weight', vocab, hidden, 'lm_head', layers);
  const config = {
    architectures: ['GPTNeoXForCausalLM'], model_type: 'gpt_neox', hidden_size: hidden, intermediate_size: 4 * hidden,
    num_hidden_layers: layers, num_attention_heads: heads, vocab_size: vocab, max_position_embeddings: 512,
    rotary_pct: 0.25, use_parallel_residual: true, tie_word_embeddings: false, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

function opt(dtype: SafetensorsDtype, plan: Plan, rng: Rng): Built {
  const hidden = 256, ffn = 1024, layers = 3, heads = 4, vocab = 2048, positions = 256;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block) });
  const vec = (name: string, n: number, center: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, center, rng) });
  mat('model.decoder.embed_tokens.weight', vocab, hidden, 'embedding', -1);
  // OPT's learned positions are offset by 2 rows
  mat('model.decoder.embed_positions.weight', positions + 2, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `model.decoder.layers.${i}`;
    for (const [proj, role] of [['k_proj', 'k'], ['v_proj', 'v'], ['q_proj', 'q'], ['out_proj', 'o']]) {
      mat(`${p}.self_attn.${proj}.weight`, hidden, hidden, role, i);
      vec(`${p}.self_attn.${proj}.bias`, hidden, 0);
    }
    vec(`${p}.self_attn_layer_norm.weight`, hidden, 1);
    vec(`${p}.self_attn_layer_norm.bias`, hidden, 0);
    mat(`${p}.fc1.weight`, ffn, hidden, 'up', i);
    vec(`${p}.fc1.bias`, ffn, 0);
    mat(`${p}.fc2.weight`, hidden, ffn, 'down', i);
    vec(`${p}.fc2.bias`, hidden, 0);
    vec(`${p}.final_layer_norm.weight`, hidden, 1);
    vec(`${p}.final_layer_norm.bias`, hidden, 0);
  }
  vec('model.decoder.final_layer_norm.weight', hidden, 1);
  vec('model.decoder.final_layer_norm.bias', hidden, 0);
  // lm_head is tied to embed_tokens and, as transformers does for tied weights, not saved
  const config = {
    architectures: ['OPTForCausalLM'], model_type: 'opt', hidden_size: hidden, ffn_dim: ffn, num_hidden_layers: layers,
    num_attention_heads: heads, vocab_size: vocab, max_position_embeddings: positions, word_embed_proj_dim: hidden,
    do_layer_norm_before: true, activation_function: 'relu', tie_word_embeddings: true, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

function gptj(dtype: SafetensorsDtype, plan: Plan, rng: Rng): Built {
  const embd = 256, layers = 2, heads = 4, vocab = 2048, positions = 256;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block) });
  const vec = (name: string, n: number, center: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, center, rng) });
  mat('transformer.wte.weight', vocab, embd, 'embedding', -1);
  // checkpoints saved before transformers 4.26 carry the causal mask and masked_bias buffers
  const mask = new Float64Array(positions * positions);
  for (let r = 0; r < positions; r++) for (let c = 0; c <= r; c++) mask[r * positions + c] = 1;
  for (let i = 0; i < layers; i++) {
    const p = `transformer.h.${i}`;
    vec(`${p}.ln_1.weight`, embd, 1);
    vec(`${p}.ln_1.bias`, embd, 0);
    t.push({ name: `${p}.attn.bias`, dtype: 'BOOL', shape: [1, 1, positions, positions], data: mask });
    t.push({ name: `${p}.attn.masked_bias`, dtype, shape: [], data: Float64Array.of(-1e9) });
    mat(`${p}.attn.k_proj.weight`, embd, embd, 'k', i);
    mat(`${p}.attn.v_proj.weight`, embd, embd, 'v', i);
    mat(`${p}.attn.q_proj.weight`, embd, embd, 'q', i);
    mat(`${p}.attn.out_proj.weight`, embd, embd, 'o', i);
    mat(`${p}.mlp.fc_in.weight`, 4 * embd, embd, 'up', i);
    vec(`${p}.mlp.fc_in.bias`, 4 * embd, 0);
    mat(`${p}.mlp.fc_out.weight`, embd, 4 * embd, 'down', i);
    vec(`${p}.mlp.fc_out.bias`, embd, 0);
  }
  vec('transformer.ln_f.weight', embd, 1);
  vec('transformer.ln_f.bias', embd, 0);
  mat('lm_head.weight', vocab, embd, 'lm_head', layers);
  vec('lm_head.bias', vocab, 0);
  const config = {
    architectures: ['GPTJForCausalLM'], model_type: 'gptj', n_embd: embd, n_layer: layers, n_head: heads, n_inner: null,
    rotary_dim: 16, vocab_size: vocab, n_positions: positions, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
    tie_word_embeddings: false, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

const MOE_EXPERTS = 4;

/** Mixtral: per-expert 2-D w1 (gate) / w3 (up) / w2 (down) and the router `block_sparse_moe.gate`. */
function mixtral(dtype: SafetensorsDtype, plan: ExpertPlan, rng: Rng): Built {
  const hidden = 256, inter = 512, layers = 2, heads = 8, kvHeads = 4, vocab = 2048, experts = MOE_EXPERTS;
  const kv = (hidden / heads) * kvHeads;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number, expert: number | null = null) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block, expert) });
  const vec = (name: string, n: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, 1, rng) });
  mat('model.embed_tokens.weight', vocab, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    vec(`${p}.input_layernorm.weight`, hidden);
    mat(`${p}.self_attn.q_proj.weight`, hidden, hidden, 'q', i);
    mat(`${p}.self_attn.k_proj.weight`, kv, hidden, 'k', i);
    mat(`${p}.self_attn.v_proj.weight`, kv, hidden, 'v', i);
    mat(`${p}.self_attn.o_proj.weight`, hidden, hidden, 'o', i);
    vec(`${p}.post_attention_layernorm.weight`, hidden);
    mat(`${p}.block_sparse_moe.gate.weight`, experts, hidden, 'router', i);
    for (let e = 0; e < experts; e++) {
      const x = `${p}.block_sparse_moe.experts.${e}`;
      mat(`${x}.w1.weight`, inter, hidden, 'gate', i, e);
      mat(`${x}.w2.weight`, hidden, inter, 'down', i, e);
      mat(`${x}.w3.weight`, inter, hidden, 'up', i, e);
    }
  }
  vec('model.norm.weight', hidden);
  mat('lm_head.weight', vocab, hidden, 'lm_head', layers);
  const config = {
    architectures: ['MixtralForCausalLM'], model_type: 'mixtral', hidden_size: hidden, intermediate_size: inter,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, vocab_size: vocab,
    num_local_experts: experts, num_experts_per_tok: 2, max_position_embeddings: 512, rms_norm_eps: 1e-5,
    hidden_act: 'silu', rope_theta: 1e6, tie_word_embeddings: false, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

/**
 * Llama 4 (text): routed experts stacked in 3-D tensors without a `.weight` suffix, `experts.gate_up_proj`
 * [E, hidden, 2·inter] and `experts.down_proj` [E, inter, hidden] (stored input-major, as Llama 4 multiplies
 * x @ W[e]), an always-on `shared_expert` and the `router`.
 */
function llama4(dtype: SafetensorsDtype, plan: ExpertPlan, rng: Rng): Built {
  const hidden = 256, inter = 512, layers = 2, heads = 8, kvHeads = 4, vocab = 2048, experts = MOE_EXPERTS;
  const kv = (hidden / heads) * kvHeads;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block, null) });
  const stack = (name: string, rows: number, cols: number, role: string, block: number) => {
    const data = new Float64Array(experts * rows * cols);
    for (let e = 0; e < experts; e++) data.set(plan(name, rows, cols, role, block, e), e * rows * cols);
    t.push({ name, dtype, shape: [experts, rows, cols], data });
  };
  const vec = (name: string, n: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, 1, rng) });
  mat('model.embed_tokens.weight', vocab, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    vec(`${p}.input_layernorm.weight`, hidden);
    mat(`${p}.self_attn.q_proj.weight`, hidden, hidden, 'q', i);
    mat(`${p}.self_attn.k_proj.weight`, kv, hidden, 'k', i);
    mat(`${p}.self_attn.v_proj.weight`, kv, hidden, 'v', i);
    mat(`${p}.self_attn.o_proj.weight`, hidden, hidden, 'o', i);
    vec(`${p}.post_attention_layernorm.weight`, hidden);
    stack(`${p}.feed_forward.experts.gate_up_proj`, hidden, 2 * inter, 'gate_up', i);
    stack(`${p}.feed_forward.experts.down_proj`, inter, hidden, 'down', i);
    mat(`${p}.feed_forward.router.weight`, experts, hidden, 'router', i);
    mat(`${p}.feed_forward.shared_expert.gate_proj.weight`, inter, hidden, 'gate', i);
    mat(`${p}.feed_forward.shared_expert.up_proj.weight`, inter, hidden, 'up', i);
    mat(`${p}.feed_forward.shared_expert.down_proj.weight`, hidden, inter, 'down', i);
  }
  vec('model.norm.weight', hidden);
  mat('lm_head.weight', vocab, hidden, 'lm_head', layers);
  const config = {
    architectures: ['Llama4ForCausalLM'], model_type: 'llama4_text', hidden_size: hidden, intermediate_size: inter,
    intermediate_size_mlp: 2 * inter, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads,
    vocab_size: vocab, num_local_experts: experts, num_experts_per_tok: 1, interleave_moe_layer_step: 1,
    max_position_embeddings: 512, rms_norm_eps: 1e-5, hidden_act: 'silu', rope_theta: 500000,
    tie_word_embeddings: false, torch_dtype: torchDtype(dtype),
  };
  return { config, tensors: t };
}

/**
 * BF16 bytes of float64 values, rounded to nearest-even through float32 (the general encoder in lib/safetensors
 * rounds straight from float64 but costs ~1 µs per value; the demo writes ~40M values). Rounding twice can differ
 * from a single rounding only on exact float32 ties, which is irrelevant for planted spectra.
 */
export function bf16Bytes(values: ArrayLike<number>): Uint8Array {
  const f32 = Float32Array.from(values);
  const bits = new Uint32Array(f32.buffer);
  const out = new Uint16Array(f32.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    out[i] = (b & 0x7f800000) === 0x7f800000 ? b >>> 16 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return new Uint8Array(out.buffer);
}

/** Fast path for BF16 tensors: pre-encoded raw bytes (see bf16Bytes). */
function encoded(spec: TensorSpec): TensorSpec {
  if (spec.dtype !== 'BF16' || !spec.data) return spec;
  return { name: spec.name, dtype: spec.dtype, shape: spec.shape, raw: bf16Bytes(spec.data) };
}

function torchDtype(dtype: SafetensorsDtype): string {
  return { BF16: 'bfloat16', F16: 'float16', F32: 'float32' }[dtype as 'BF16' | 'F16' | 'F32'] ?? 'float32';
}

/** Uniform in [lo, hi). */
const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.nextFloat();

/** "Well-trained": heavy-tailed layers, alpha 2–4 (attention a little heavier than MLP), heavy-tailed embeddings. */
function trainedPlan(rng: Rng): Plan {
  return (_name, rows, cols, role) => {
    if (role === 'embedding' || role === 'lm_head') return paretoEntriesMatrix(rows, cols, 3, STD, rng);
    const [lo, hi] = role === 'q' || role === 'k' || role === 'qkv' ? [2, 3] : [2.5, 4];
    return heavyTailedMatrix(rows, cols, uniform(rng, lo, hi), STD, rng);
  };
}

/** "Under-trained": i.i.d. Gaussian everywhere (Marchenko–Pastur bulk, no tail). */
function randomPlan(rng: Rng): Plan {
  return (_name, rows, cols) => gaussianMatrix(rows, cols, STD, rng);
}

/** Bulk + spikes: Gaussian bulk with 2–8 outliers 1.5–4x the bulk edge. */
function spikedPlan(rng: Rng): Plan {
  return (_name, rows, cols) => {
    const count = 2 + rng.nextBelow(7);
    const spikes = Array.from({ length: count }, () => uniform(rng, 1.5, 4));
    return spikedMatrix(rows, cols, spikes, STD, rng);
  };
}

/** Moderately heavy-tailed (alpha 3–5), GPT-2-like. */
function moderatePlan(rng: Rng): Plan {
  return (name, rows, cols, role) => {
    if (name === 'wpe.weight') return gaussianMatrix(rows, cols, STD, rng);
    if (role === 'embedding') return paretoEntriesMatrix(rows, cols, 3.5, STD, rng);
    return heavyTailedMatrix(rows, cols, uniform(rng, 3, 5), STD, rng);
  };
}

/**
 * Experts that are not alike: dense weights and experts 0-2 heavy-tailed (alpha 2-4), the last expert random-like
 * (rarely routed, it stays near its initialisation), so the per-expert rows of a model page differ visibly.
 */
function expertsPlan(rng: Rng): ExpertPlan {
  const trained = trainedPlan(rng);
  return (name, rows, cols, role, block, expert) => {
    if (role === 'router') return gaussianMatrix(rows, cols, STD, rng);
    if (expert === MOE_EXPERTS - 1) return gaussianMatrix(rows, cols, STD, rng);
    return trained(name, rows, cols, role, block);
  };
}

/** Records every matrix a plan produces (so a fine-tune or a later checkpoint can start from it). */
function recording(plan: Plan, into: Map<string, Float64Array>): Plan {
  return (name, rows, cols, role, block) => {
    const w = plan(name, rows, cols, role, block);
    into.set(name, w);
    return w;
  };
}

function hashSeed(seed: number, id: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function card(data: CardData, summary: string, note?: string): string {
  return formatModelCard(
    { license: 'apache-2.0', library_name: 'transformers', pipeline_tag: 'text-generation', tags: ['synthetic', 'alphaboard-demo'], ...data },
    `# ${summary}\n\n${note ? `${note}\n\n` : ''}**Synthetic checkpoint** generated by alphaboard's demo generator (lib/hub-stand-in/demo-models.ts).\n` +
      'The weights are random matrices with planted spectra, in a real architecture\'s layout and naming; this is not a\n' +
      'language model and produces no meaningful text. It exists so the offline demo and the tests have checkpoints\n' +
      'whose spectral metrics differ in known ways.',
  );
}

/** Splits tensors into `shards` contiguous groups of similar size. */
function shardGroups(specs: TensorSpec[], shards: number): TensorSpec[][] {
  const sizes = specs.map((t) => byteLength(t.dtype, numel(t.shape)) ?? 0);
  const total = sizes.reduce((a, b) => a + b, 0);
  const groups: TensorSpec[][] = Array.from({ length: shards }, () => []);
  let acc = 0;
  specs.forEach((t, i) => {
    groups[Math.min(shards - 1, Math.floor((acc / total) * shards))].push(t);
    acc += sizes[i];
  });
  return groups;
}

/** Weight files (and index) in the Hub's layout: `model[-0000k-of-0000n].safetensors` or `pytorch_model*.bin`. */
function weightFiles(specs: TensorSpec[], shards: number, storage: DemoStorage, metadata: Record<string, string>): RepoFiles {
  const safetensors = storage === 'safetensors';
  // every format gets the same encoded bytes, so a conversion holds exactly the pickle's values
  const tensors = specs.map((t) => {
    const e = encoded(t);
    return e.raw ? e : { name: t.name, dtype: t.dtype, shape: t.shape, raw: encodeTensorData(t) };
  });
  const encode = (group: TensorSpec[]): Uint8Array => {
    if (safetensors) return encodeSafetensors(group, metadata);
    // a flat state dict, one storage per tensor numbered as torch.save numbers them
    const ck: TorchCheckpoint = { storages: {}, root: { ordered: [], metadata: true } };
    group.forEach((t, i) => {
      ck.storages[String(i)] = { dtype: t.dtype, bytes: t.raw! };
      (ck.root as { ordered: Array<[string, TorchValue]> }).ordered.push([t.name, { tensor: { storage: String(i), shape: t.shape } }]);
    });
    return storage === 'pytorch-legacy' ? writeTorchLegacy(ck) : writeTorchZip(ck);
  };
  const single = safetensors ? 'model.safetensors' : 'pytorch_model.bin';
  if (shards <= 1) return { [single]: encode(tensors) };
  if (storage === 'pytorch-legacy') throw new Error('legacy-format demo checkpoints are single files');
  const files: RepoFiles = {};
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  shardGroups(tensors, shards).forEach((group, k) => {
    const of = `${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`;
    const name = safetensors ? `model-${of}.safetensors` : `pytorch_model-${of}.bin`;
    files[name] = encode(group);
    for (const t of group) {
      weightMap[t.name] = name;
      totalSize += byteLength(t.dtype, numel(t.shape)) ?? 0;
    }
  });
  const index = safetensors ? 'model.safetensors.index.json' : 'pytorch_model.bin.index.json';
  files[index] = `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`;
  return files;
}

interface DemoCommit {
  ref: string;
  built: Built;
  shards: number;
  baseModel?: string;
}

/** What recipes share within one generation: recorded weights (`llama-trained`) and whole builds by repo id. */
interface Shared {
  weights: Map<string, Map<string, Float64Array>>;
  builds: Map<string, DemoCommit[]>;
}

interface RepoRecipe {
  id: string;
  family: string;
  dtype: SafetensorsDtype;
  spectrum: DemoSpectrum;
  /** Format of the weight files (default safetensors). */
  storage?: DemoStorage;
  /** Also open the conversion bot's PR `refs/pr/1` adding model.safetensors on top of main. */
  conversionPr?: boolean;
  /** A repo whose build this one needs (built, not written, when only this one is asked for). */
  dependsOn?: string;
  /** Re-upload of this repo's files, byte for byte (only the card differs). */
  mirrorOf?: string;
  experts?: number;
  listing: { downloads: number; likes: number; trendingScore: number };
  /** Commits to write, in order; each gives the ref and the files. */
  build(rng: Rng, shared: Shared): DemoCommit[];
}

const DAY = 86_400_000;
const EPOCH = Date.UTC(2025, 5, 1);

/** Training steps of the Pythia-style series and how far each is from random (0) to trained (1). */
const PYTHIA_STEPS: Array<[string, number]> = [['step1000', 0.05], ['step2000', 0.35], ['step4000', 0.7], ['step8000', 1]];

const RECIPES: RepoRecipe[] = [
  {
    id: 'demo/llama-mini-trained', family: 'llama', dtype: 'BF16', spectrum: 'heavy-tailed',
    listing: { downloads: 5200, likes: 41, trendingScore: 12 },
    build(rng, shared) {
      const weights = new Map<string, Float64Array>();
      shared.weights.set('llama-trained', weights);
      return [{ ref: 'main', built: llama('BF16', recording(trainedPlan(rng), weights), rng), shards: 2 }];
    },
  },
  {
    id: 'demo/llama-mini-random', family: 'llama', dtype: 'BF16', spectrum: 'random-like',
    listing: { downloads: 310, likes: 2, trendingScore: 1 },
    build: (rng) => [{ ref: 'main', built: llama('BF16', randomPlan(rng), rng), shards: 1 }],
  },
  {
    id: 'demo/llama-mini-chat', family: 'llama', dtype: 'BF16', spectrum: 'fine-tune', dependsOn: 'demo/llama-mini-trained',
    listing: { downloads: 950, likes: 17, trendingScore: 30 },
    build(rng, shared) {
      // a fine-tune moves little: the base's weights plus a small random update
      const base = shared.weights.get('llama-trained') ?? new Map();
      const fallback = trainedPlan(rng);
      const plan: Plan = (name, rows, cols, role, block) => {
        const w = base.get(name) ?? fallback(name, rows, cols, role, block);
        return blend(w, 1, gaussianMatrix(rows, cols, STD, rng), 0.12, STD);
      };
      return [{ ref: 'main', built: llama('BF16', plan, rng), shards: 2, baseModel: 'demo/llama-mini-trained' }];
    },
  },
  {
    id: 'demo/falcon-mini', family: 'falcon', dtype: 'F32', spectrum: 'bulk+spikes',
    listing: { downloads: 2400, likes: 23, trendingScore: 8 },
    build: (rng) => [{ ref: 'main', built: falcon('F32', spikedPlan(rng), rng), shards: 1 }],
  },
  {
    id: 'demo/gpt2-mini', family: 'gpt2', dtype: 'F32', spectrum: 'heavy-tailed',
    listing: { downloads: 8800, likes: 64, trendingScore: 5 },
    build: (rng) => [{ ref: 'main', built: gpt2('F32', moderatePlan(rng), rng), shards: 1 }],
  },
  {
    id: 'demo/pythia-mini', family: 'gpt_neox', dtype: 'BF16', spectrum: 'training-series',
    listing: { downloads: 1500, likes: 11, trendingScore: 20 },
    build(rng) {
      // one random start and one trained end per matrix; checkpoint t blends them (training moves weights away
      // from their initialisation, and the tail grows)
      const start = new Map<string, Float64Array>();
      const end = new Map<string, Float64Array>();
      const startPlan = randomPlan(rng);
      const endPlan = trainedPlan(rng);
      const vectorSeed = rng.nextUint32();
      return PYTHIA_STEPS.map(([ref, t], k) => {
        const plan: Plan = (name, rows, cols, role, block) => {
          if (!start.has(name)) start.set(name, startPlan(name, rows, cols, role, block));
          if (!end.has(name)) end.set(name, endPlan(name, rows, cols, role, block));
          return blend(start.get(name)!, 1 - 0.85 * t, end.get(name)!, t, STD);
        };
        return { ref, built: gptNeox('BF16', plan, createRng(vectorSeed + k)), shards: 1 };
      });
    },
  },
  {
    id: 'demo/opt-mini-bin', family: 'opt', dtype: 'F16', spectrum: 'heavy-tailed', storage: 'pytorch-zip',
    listing: { downloads: 2100, likes: 15, trendingScore: 6 },
    build: (rng) => [{ ref: 'main', built: opt('F16', trainedPlan(rng), rng), shards: 2 }],
  },
  {
    id: 'demo/gptj-mini-legacy', family: 'gptj', dtype: 'F32', spectrum: 'heavy-tailed', storage: 'pytorch-legacy',
    listing: { downloads: 640, likes: 9, trendingScore: 2 },
    build: (rng) => [{ ref: 'main', built: gptj('F32', moderatePlan(rng), rng), shards: 1 }],
  },
  {
    id: 'demo/neox-mini-pickle-pr', family: 'gpt_neox', dtype: 'F16', spectrum: 'bulk+spikes', storage: 'pytorch-zip', conversionPr: true,
    listing: { downloads: 720, likes: 4, trendingScore: 3 },
    build: (rng) => [{ ref: 'main', built: gptNeox('F16', spikedPlan(rng), rng, 2), shards: 1 }],
  },
  {
    id: 'demo/mixtral-mini-moe', family: 'mixtral', dtype: 'BF16', spectrum: 'experts', experts: MOE_EXPERTS,
    listing: { downloads: 1800, likes: 27, trendingScore: 25 },
    build: (rng) => [{ ref: 'main', built: mixtral('BF16', expertsPlan(rng), rng), shards: 1 }],
  },
  {
    id: 'demo/llama4-mini-moe', family: 'llama4', dtype: 'BF16', spectrum: 'experts', experts: MOE_EXPERTS,
    listing: { downloads: 1300, likes: 19, trendingScore: 40 },
    build: (rng) => [{ ref: 'main', built: llama4('BF16', expertsPlan(rng), rng), shards: 1 }],
  },
  {
    id: 'demo/llama-mini-trained-mirror', family: 'llama', dtype: 'BF16', spectrum: 'mirror',
    dependsOn: 'demo/llama-mini-trained', mirrorOf: 'demo/llama-mini-trained',
    listing: { downloads: 45, likes: 0, trendingScore: 0 },
    build(_rng, shared) {
      const original = shared.builds.get('demo/llama-mini-trained');
      if (!original) throw new Error('the mirror needs demo/llama-mini-trained built first');
      return original;
    },
  },
];

/** Every demo repo id, in generation order. */
export const DEMO_REPO_IDS: readonly string[] = RECIPES.map((r) => r.id);

/** The six dense safetensors repos the demo started with (the e2e seed analyses these). */
export const DEMO_DENSE_REPO_IDS: readonly string[] = DEMO_REPO_IDS.slice(0, 6);

/** Refs of the Pythia-style training series, in training order. */
export const DEMO_SERIES = { repo: 'demo/pythia-mini', refs: PYTHIA_STEPS.map(([ref]) => ref) } as const;

interface Marker {
  version: number;
  seed: number;
  repos: DemoRepoSummary[];
}

/**
 * Writes the demo repos under `root` (stand-in layout, owner `demo`) and returns what was written. Skips the work
 * when `<root>/.demo.json` records the same seed and generator version and every requested repo (use `force`).
 */
export async function generateDemoCheckpoints(root: string, options: GenerateDemoOptions = {}): Promise<DemoRepoSummary[]> {
  const seed = options.seed ?? 42;
  const wanted = options.only ?? DEMO_REPO_IDS;
  for (const id of wanted) {
    if (!DEMO_REPO_IDS.includes(id)) throw new Error(`unknown demo repo "${id}"; known: ${DEMO_REPO_IDS.join(', ')}`);
  }
  const markerPath = path.join(root, '.demo.json');
  const marker = await readFile(markerPath, 'utf8').then((t) => JSON.parse(t) as Marker).catch(() => null);
  if (!options.force && marker?.version === GENERATOR_VERSION && marker.seed === seed) {
    const have = new Map(marker.repos.map((r) => [r.id, r]));
    if (wanted.every((id) => have.has(id))) return wanted.map((id) => have.get(id)!);
  }

  await mkdir(root, { recursive: true });
  const shared: Shared = { weights: new Map(), builds: new Map() };
  const summaries: DemoRepoSummary[] = [];
  for (const [index, recipe] of RECIPES.entries()) {
    // the fine-tune and the mirror derive from the trained base, so the base is built (not written) when only they are asked for
    const needed = wanted.includes(recipe.id) || RECIPES.some((r) => r.dependsOn === recipe.id && wanted.includes(r.id));
    if (!needed) continue;
    const rng = createRng(hashSeed(seed, recipe.id));
    const commits = recipe.build(rng, shared);
    shared.builds.set(recipe.id, commits);
    if (!wanted.includes(recipe.id)) continue;
    const storage = recipe.storage ?? 'safetensors';
    // a mirror re-uploads the original's files as they are: same metadata, same bytes, same LFS oids
    const source = recipe.mirrorOf ?? recipe.id;
    const sourceIndex = RECIPES.findIndex((r) => r.id === source);
    await rm(path.join(root, recipe.id), { recursive: true, force: true });
    await writeStandInRepo(root, {
      id: recipe.id,
      downloads: recipe.listing.downloads,
      likes: recipe.listing.likes,
      tags: ['synthetic'],
      trendingScore: recipe.listing.trendingScore,
      createdAt: new Date(EPOCH + index * DAY).toISOString(),
    });
    const revisions: DemoRepoSummary['revisions'] = [];
    let pullRequest: DemoRepoSummary['pullRequest'];
    const metadata = { format: 'pt', generator: 'alphaboard demo (synthetic)' };
    for (const [k, commit] of commits.entries()) {
      const original = RECIPES[sourceIndex];
      const files: RepoFiles = {
        'config.json': `${JSON.stringify(commit.built.config, null, 2)}\n`,
        'README.md': card(
          commit.baseModel ? { base_model: commit.baseModel } : {},
          `${recipe.id} (synthetic ${recipe.family}, ${recipe.mirrorOf ? `mirror of ${recipe.mirrorOf}` : recipe.spectrum}${commit.ref === 'main' ? '' : `, ${commit.ref}`})`,
          recipe.mirrorOf
            ? `This repo mirrors [${recipe.mirrorOf}](https://huggingface.co/${recipe.mirrorOf}): a byte-identical re-upload of its weight files under another name.`
            : undefined,
        ),
        ...weightFiles(commit.built.tensors, commit.shards, original.storage ?? 'safetensors', metadata),
      };
      const isSeries = commit.ref !== 'main';
      const sha = await commitFiles(root, recipe.id, {
        files,
        branch: commit.ref,
        title: isSeries ? `Training checkpoint ${commit.ref}` : 'Upload synthetic checkpoint',
        date: new Date(EPOCH + (index * 10 + k + 1) * DAY).toISOString(),
      });
      revisions.push({ ref: commit.ref, sha });
      if (recipe.conversionPr && commit.ref === 'main') {
        // the conversion bot's PR: its head adds model.safetensors (same weights) on top of main's files
        const head = await commitFiles(root, recipe.id, {
          files: weightFiles(commit.built.tensors, 1, 'safetensors', metadata),
          parent: sha,
          inheritFiles: true,
          title: DEMO_CONVERSION_TITLE,
          message: `${DEMO_CONVERSION_TITLE}\n\nThis is an automated PR created with the safetensors conversion bot.`,
          author: DEMO_CONVERSION_BOT,
          date: new Date(EPOCH + (index * 10 + k + 2) * DAY).toISOString(),
          pullRequest: { title: DEMO_CONVERSION_TITLE, author: DEMO_CONVERSION_BOT, num: 1 },
        });
        pullRequest = { ref: 'refs/pr/1', num: 1, sha: head, parent: sha };
      }
    }
    if (!revisions.some((r) => r.ref === 'main')) {
      // a series' main branch points at its last checkpoint, as on the Hub
      const last = revisions[revisions.length - 1];
      const manifestPath = path.join(root, recipe.id, 'repo.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
      manifest.refs.branches.main = last.sha;
      await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    summaries.push({
      id: recipe.id,
      family: recipe.family,
      dtype: recipe.dtype,
      sharded: commits[0].shards > 1,
      spectrum: recipe.spectrum,
      storage,
      revisions,
      ...(commits[0].baseModel ? { baseModel: commits[0].baseModel } : {}),
      ...(pullRequest ? { pullRequest } : {}),
      ...(recipe.experts ? { experts: recipe.experts } : {}),
      ...(recipe.mirrorOf ? { mirrorOf: recipe.mirrorOf } : {}),
    });
  }
  const merged = new Map((marker?.seed === seed && marker.version === GENERATOR_VERSION ? marker.repos : []).map((r) => [r.id, r]));
  for (const s of summaries) merged.set(s.id, s);
  await writeFile(markerPath, `${JSON.stringify({ version: GENERATOR_VERSION, seed, repos: [...merged.values()] }, null, 2)}\n`);
  return summaries;
}
