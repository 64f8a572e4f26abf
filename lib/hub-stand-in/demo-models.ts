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
  lowRankMatrix,
  orthonormalColumns,
  spikedMatrix,
  paretoEntriesMatrix,
  transpose,
  type Rng,
} from './planted-spectra';
import { commitFiles, writeStandInRepo, type RepoFiles } from './repo-store';

export const DEMO_OWNER = 'demo';
const STD = 0.02;
const LLAMA_VOCAB = 2048;
const GENERATOR_VERSION = 3;

export type DemoSpectrum =
  | 'heavy-tailed' | 'random-like' | 'bulk+spikes' | 'training-series' | 'fine-tune' | 'experts' | 'mirror'
  | 'planted-delta' | 'frozen-attention' | 'lora-adapter' | 'resized-head';

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
  /** A PEFT LoRA adapter repo (adapter_config.json + adapter_model.safetensors, no full weights). */
  adapter?: true;
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

interface LlamaOptions {
  /** Rows of embed_tokens and lm_head (default 2048; a fine-tune that adds tokens resizes both). */
  vocab?: number;
  /** Adds a sequence-classification head `score.weight` [labels, hidden] after lm_head. */
  labels?: string[];
}

/** The norms and grouped-query attention of one Llama-style block (Llama, Mixtral, Llama 4), in checkpoint order. */
function llamaAttention(
  p: string,
  block: number,
  hidden: number,
  kv: number,
  mat: (name: string, rows: number, cols: number, role: string, block: number) => void,
  vec: (name: string, n: number) => void,
): void {
  vec(`${p}.input_layernorm.weight`, hidden);
  mat(`${p}.self_attn.q_proj.weight`, hidden, hidden, 'q', block);
  mat(`${p}.self_attn.k_proj.weight`, kv, hidden, 'k', block);
  mat(`${p}.self_attn.v_proj.weight`, kv, hidden, 'v', block);
  mat(`${p}.self_attn.o_proj.weight`, hidden, hidden, 'o', block);
  vec(`${p}.post_attention_layernorm.weight`, hidden);
}

function llama(dtype: SafetensorsDtype, plan: Plan, rng: Rng, opts: LlamaOptions = {}): Built {
  const hidden = 256, inter = 688, layers = 4, heads = 8, kvHeads = 4, vocab = opts.vocab ?? LLAMA_VOCAB;
  const kv = (hidden / heads) * kvHeads;
  const t: TensorSpec[] = [];
  const mat = (name: string, rows: number, cols: number, role: string, block: number) =>
    t.push({ name, dtype, shape: [rows, cols], data: plan(name, rows, cols, role, block) });
  const vec = (name: string, n: number) => t.push({ name, dtype, shape: [n], data: smallVector(n, 1, rng) });
  mat('model.embed_tokens.weight', vocab, hidden, 'embedding', -1);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    llamaAttention(p, i, hidden, kv, mat, vec);
    mat(`${p}.mlp.gate_proj.weight`, inter, hidden, 'gate', i);
    mat(`${p}.mlp.up_proj.weight`, inter, hidden, 'up', i);
    mat(`${p}.mlp.down_proj.weight`, hidden, inter, 'down', i);
  }
  vec('model.norm.weight', hidden);
  mat('lm_head.weight', vocab, hidden, 'lm_head', layers);
  if (opts.labels) mat('score.weight', opts.labels.length, hidden, 'score', layers);
  const labels = opts.labels
    ? {
        id2label: Object.fromEntries(opts.labels.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(opts.labels.map((l, i) => [l, i])),
        problem_type: 'single_label_classification',
      }
    : {};
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: hidden, intermediate_size: inter,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, vocab_size: vocab,
    max_position_embeddings: 512, rms_norm_eps: 1e-5, hidden_act: 'silu', rope_theta: 10000,
    tie_word_embeddings: false, torch_dtype: torchDtype(dtype), ...labels,
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
    llamaAttention(p, i, hidden, kv, mat, vec);
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
    llamaAttention(p, i, hidden, kv, mat, vec);
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
  /** Config and tensors of a full checkpoint (absent for an adapter, which gives `files`). */
  built?: Built;
  shards: number;
  baseModel?: string;
  /** Files written as they are instead of config.json and weights (an adapter repo). */
  files?: RepoFiles;
  /** Extra card front matter (library_name, tags) beside base_model. */
  cardData?: CardData;
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
  /** A paragraph for the model card. */
  note?: string;
  /** A PEFT adapter repo: library `peft`, no config.json, no full weights. */
  adapter?: boolean;
  experts?: number;
  listing: { downloads: number; likes: number; trendingScore: number };
  /** Commits to write, in order; each gives the ref and the files. */
  build(rng: Rng, shared: Shared): DemoCommit[];
}

const DAY = 86_400_000;
const EPOCH = Date.UTC(2025, 5, 1);

/** Training steps of the Pythia-style series and how far each is from random (0) to trained (1). */
const PYTHIA_STEPS: Array<[string, number]> = [['step1000', 0.05], ['step2000', 0.35], ['step4000', 0.7], ['step8000', 1]];

/** Relative singular values of the planted fine-tune's ΔW (rank 8, 2.0 down to 0.2). */
const PLANTED_SV = [2, 1.5, 1.1, 0.8, 0.6, 0.45, 0.3, 0.2] as const;
/** Entry std of the i.i.d. Gaussian noise added to every weight of the planted fine-tune (1% of the weight RMS). */
const PLANTED_NOISE_STD = 2e-4;

/** The adapter's LoRA settings: r and lora_alpha for every module unless a pattern overrides them. */
const LORA = {
  r: 16,
  loraAlpha: 32,
  targets: ['q_proj', 'v_proj', 'down_proj'] as const,
  rankPattern: { down_proj: 12 } as Record<string, number>,
  alphaPattern: { 'model.layers.1.self_attn.v_proj': 64 } as Record<string, number>,
};
/** Singular values of B·A for a module of rank r: geometric from 0.04 down to 0.004. */
const loraSingularValues = (r: number) => Array.from({ length: r }, (_, i) => 0.04 * Math.pow(0.1, i / (r - 1)));
const LORA_DIMS: Record<(typeof LORA.targets)[number], { dOut: number; dIn: number; prefix: string }> = {
  q_proj: { dOut: 256, dIn: 256, prefix: 'self_attn' },
  v_proj: { dOut: 128, dIn: 256, prefix: 'self_attn' },
  down_proj: { dOut: 256, dIn: 688, prefix: 'mlp' },
};
const LORA_LAYERS = 4;

export interface PlantedLoraModule {
  /** Module name as lib/delta names it (`model.layers.0.self_attn.q_proj`). */
  module: string;
  dOut: number;
  dIn: number;
  r: number;
  loraAlpha: number;
  /** s = lora_alpha / √r (use_rslora). */
  scale: number;
  /** Singular values of B·A, descending (ΔW = s·B·A has these times `scale`). */
  singularValues: number[];
}

const loraModules: PlantedLoraModule[] = [];
for (let layer = 0; layer < LORA_LAYERS; layer++) {
  for (const target of LORA.targets) {
    const { dOut, dIn, prefix } = LORA_DIMS[target];
    const module = `model.layers.${layer}.${prefix}.${target}`;
    const r = LORA.rankPattern[target] ?? LORA.r;
    const loraAlpha = LORA.alphaPattern[module] ?? LORA.loraAlpha;
    loraModules.push({ module, dOut, dIn, r, loraAlpha, scale: loraAlpha / Math.sqrt(r), singularValues: loraSingularValues(r) });
  }
}

/**
 * What the fine-tune and adapter demos plant, for tests and the e2e:
 *  - `delta` (demo/llama-mini-ft-planted): every block weight (q/k/v/o/gate/up/down of every layer) is
 *    W_base + U·diag(singularValues·scale)·Vᵀ + N, U and V with orthonormal columns, scale = `layerScale(rows, cols)`
 *    = STD·√max(rows, cols) (the RMS singular value of a base weight: ||W||_F / √min(rows, cols)), N i.i.d.
 *    N(0, noiseStd²); embed_tokens and lm_head get the noise only. Stored as BF16, like the base;
 *  - `frozen` (demo/llama-mini-ft-frozen): attention (q/k/v/o), embeddings and lm_head byte-identical to the base,
 *    the MLP weights retrained (`changed`);
 *  - `cls` (demo/llama-mini-ft-cls): embed_tokens and lm_head resized from 2048 to 2056 rows (8 added tokens), a
 *    classification head `score.weight` [3, 256] the base does not have;
 *  - `adapter` (demo/llama-mini-lora): PEFT LoRA, rslora, rank_pattern down_proj → 12, alpha_pattern on one module;
 *    per module B·A = U·diag(singularValues)·Vᵀ exactly (F32 factors B = U·diag(√σ), A = diag(√σ)·Vᵀ).
 */
export const DEMO_PLANTED = {
  delta: {
    repo: 'demo/llama-mini-ft-planted',
    base: 'demo/llama-mini-trained',
    rank: PLANTED_SV.length,
    singularValues: [...PLANTED_SV],
    noiseStd: PLANTED_NOISE_STD,
    layerScale: (rows: number, cols: number) => STD * Math.sqrt(Math.max(rows, cols)),
  },
  frozen: {
    repo: 'demo/llama-mini-ft-frozen',
    base: 'demo/llama-mini-trained',
    unchanged: ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'model.embed_tokens', 'lm_head'],
    changed: ['mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'],
  },
  cls: {
    repo: 'demo/llama-mini-ft-cls',
    base: 'demo/llama-mini-trained',
    baseVocab: LLAMA_VOCAB,
    addedTokens: 8,
    labels: ['negative', 'neutral', 'positive'],
  },
  adapter: {
    repo: 'demo/llama-mini-lora',
    base: 'demo/llama-mini-trained',
    r: LORA.r,
    loraAlpha: LORA.loraAlpha,
    useRslora: true,
    targetModules: [...LORA.targets],
    rankPattern: { ...LORA.rankPattern },
    alphaPattern: { ...LORA.alphaPattern },
    modules: loraModules,
  },
} as const;

/** The trained base's recorded weights (the fine-tunes below derive from them). */
function trainedWeights(shared: Shared, who: string): Map<string, Float64Array> {
  const base = shared.weights.get('llama-trained');
  if (!base) throw new Error(`${who} needs demo/llama-mini-trained built first`);
  return base;
}

function addInPlace(w: Float64Array, x: Float64Array): Float64Array {
  for (let i = 0; i < w.length; i++) w[i] += x[i];
  return w;
}

/** A base matrix grown to `rows` rows: the base's rows plus a small update, then new rows (added tokens). */
function resizedRows(base: Float64Array, cols: number, rows: number, rng: Rng): Float64Array {
  const out = new Float64Array(rows * cols);
  out.set(addInPlace(Float64Array.from(base), gaussianMatrix(base.length / cols, cols, 0.1 * STD, rng)));
  out.set(gaussianMatrix(rows - base.length / cols, cols, STD, rng), base.length);
  return out;
}

/** The adapter's files: adapter_config.json and adapter_model.safetensors (F32 lora_A / lora_B per module). */
function loraAdapterFiles(rng: Rng): RepoFiles {
  const tensors: TensorSpec[] = [];
  for (const m of loraModules) {
    const { r, dOut, dIn } = m;
    const root = m.singularValues.map(Math.sqrt);
    const u = orthonormalColumns(dOut, r, rng);
    const v = orthonormalColumns(dIn, r, rng);
    const a = new Float64Array(r * dIn);
    for (let k = 0; k < r; k++) for (let j = 0; j < dIn; j++) a[k * dIn + j] = root[k] * v[j * r + k];
    const b = new Float64Array(dOut * r);
    for (let i = 0; i < dOut; i++) for (let k = 0; k < r; k++) b[i * r + k] = u[i * r + k] * root[k];
    tensors.push({ name: `base_model.model.${m.module}.lora_A.weight`, dtype: 'F32', shape: [r, dIn], data: a });
    tensors.push({ name: `base_model.model.${m.module}.lora_B.weight`, dtype: 'F32', shape: [dOut, r], data: b });
  }
  const config = {
    alpha_pattern: LORA.alphaPattern,
    auto_mapping: null,
    base_model_name_or_path: DEMO_PLANTED.adapter.base,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: LORA.loraAlpha,
    lora_dropout: 0.05,
    modules_to_save: null,
    peft_type: 'LORA',
    r: LORA.r,
    rank_pattern: LORA.rankPattern,
    revision: null,
    target_modules: [...LORA.targets],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: true,
  };
  return {
    'adapter_config.json': `${JSON.stringify(config, null, 2)}\n`,
    'adapter_model.safetensors': encodeSafetensors(tensors, { format: 'pt' }),
  };
}

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
  {
    id: DEMO_PLANTED.delta.repo, family: 'llama', dtype: 'BF16', spectrum: 'planted-delta', dependsOn: DEMO_PLANTED.delta.base,
    listing: { downloads: 380, likes: 6, trendingScore: 9 },
    note: 'A full fine-tune whose update is planted: every block weight moves by a rank-8 ΔW with known singular values (2.0 down to 0.2 times the layer scale) plus small noise.',
    build(rng, shared) {
      const base = trainedWeights(shared, DEMO_PLANTED.delta.repo);
      const { singularValues, noiseStd, layerScale } = DEMO_PLANTED.delta;
      const plan: Plan = (name, rows, cols, role) => {
        const w = addInPlace(Float64Array.from(base.get(name)!), gaussianMatrix(rows, cols, noiseStd, rng));
        if (role === 'embedding' || role === 'lm_head') return w;
        const scale = layerScale(rows, cols);
        return addInPlace(w, lowRankMatrix(rows, cols, singularValues.map((s) => s * scale), rng));
      };
      return [{ ref: 'main', built: llama('BF16', plan, rng), shards: 1, baseModel: DEMO_PLANTED.delta.base }];
    },
  },
  {
    id: DEMO_PLANTED.frozen.repo, family: 'llama', dtype: 'BF16', spectrum: 'frozen-attention', dependsOn: DEMO_PLANTED.frozen.base,
    listing: { downloads: 150, likes: 3, trendingScore: 4 },
    note: 'A fine-tune with frozen attention: q/k/v/o, the embeddings and lm_head are byte-identical to the base; only the MLP weights were trained.',
    build(rng, shared) {
      const base = trainedWeights(shared, DEMO_PLANTED.frozen.repo);
      const plan: Plan = (name, rows, cols, role) => {
        const w = base.get(name)!;
        if (role === 'gate' || role === 'up' || role === 'down') return blend(w, 1, gaussianMatrix(rows, cols, STD, rng), 0.12, STD);
        return w;
      };
      return [{ ref: 'main', built: llama('BF16', plan, rng), shards: 1, baseModel: DEMO_PLANTED.frozen.base }];
    },
  },
  {
    id: DEMO_PLANTED.adapter.repo, family: 'llama', dtype: 'F32', spectrum: 'lora-adapter', adapter: true,
    listing: { downloads: 270, likes: 8, trendingScore: 14 },
    note: `A PEFT LoRA adapter for [${DEMO_PLANTED.adapter.base}](https://huggingface.co/${DEMO_PLANTED.adapter.base}) (rsLoRA, r 16, lora_alpha 32, down_proj at r 12): adapter_config.json and adapter_model.safetensors only; each module's B·A has planted singular values.`,
    build: (rng) => [{
      ref: 'main', shards: 1, baseModel: DEMO_PLANTED.adapter.base, files: loraAdapterFiles(rng),
      cardData: { library_name: 'peft', tags: ['synthetic', 'alphaboard-demo', 'peft', 'lora'] },
    }],
  },
  {
    id: DEMO_PLANTED.cls.repo, family: 'llama', dtype: 'BF16', spectrum: 'resized-head', dependsOn: DEMO_PLANTED.cls.base,
    listing: { downloads: 210, likes: 5, trendingScore: 7 },
    note: 'A fine-tune that added 8 tokens (embed_tokens and lm_head resized from 2048 to 2056 rows) and a 3-label classification head `score.weight` the base does not have.',
    build(rng, shared) {
      const base = trainedWeights(shared, DEMO_PLANTED.cls.repo);
      const { baseVocab, addedTokens, labels } = DEMO_PLANTED.cls;
      const plan: Plan = (name, rows, cols, role) => {
        if (role === 'score') return gaussianMatrix(rows, cols, STD, rng);
        const w = base.get(name)!;
        if (role === 'embedding' || role === 'lm_head') return resizedRows(w, cols, rows, rng);
        return blend(w, 1, gaussianMatrix(rows, cols, STD, rng), 0.12, STD);
      };
      return [{
        ref: 'main', built: llama('BF16', plan, rng, { vocab: baseVocab + addedTokens, labels: [...labels] }), shards: 1,
        baseModel: DEMO_PLANTED.cls.base,
      }];
    },
  },
];

/** Every demo repo id, in generation order. */
export const DEMO_REPO_IDS: readonly string[] = RECIPES.map((r) => r.id);

/** The six dense safetensors repos the demo started with. */
export const DEMO_DENSE_REPO_IDS: readonly string[] = DEMO_REPO_IDS.slice(0, 6);

/** PEFT adapter repos (adapter_config.json + adapter weights, no full model): not analysable as a model. */
export const DEMO_ADAPTER_REPO_IDS: readonly string[] = RECIPES.filter((r) => r.adapter).map((r) => r.id);

/** The full fine-tunes whose card names a base on the board (`base_model`), in generation order. */
export const DEMO_FINE_TUNE_REPO_IDS: readonly string[] = RECIPES.filter((r) => r.dependsOn && !r.mirrorOf && !r.adapter).map((r) => r.id);

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
    // the fine-tunes and the mirror derive from the trained base, so the base is built (not written) when only they are asked for
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
      tags: recipe.adapter ? ['synthetic', 'peft', 'lora'] : ['synthetic'],
      ...(recipe.adapter ? { library_name: 'peft' } : {}),
      trendingScore: recipe.listing.trendingScore,
      createdAt: new Date(EPOCH + index * DAY).toISOString(),
    });
    const revisions: DemoRepoSummary['revisions'] = [];
    let pullRequest: DemoRepoSummary['pullRequest'];
    const metadata = { format: 'pt', generator: 'alphaboard demo (synthetic)' };
    for (const [k, commit] of commits.entries()) {
      const original = RECIPES[sourceIndex];
      const readme = card(
        { ...(commit.baseModel ? { base_model: commit.baseModel } : {}), ...commit.cardData },
        `${recipe.id} (synthetic ${recipe.family}, ${recipe.mirrorOf ? `mirror of ${recipe.mirrorOf}` : recipe.spectrum}${commit.ref === 'main' ? '' : `, ${commit.ref}`})`,
        recipe.mirrorOf
          ? `This repo mirrors [${recipe.mirrorOf}](https://huggingface.co/${recipe.mirrorOf}): a byte-identical re-upload of its weight files under another name.`
          : recipe.note,
      );
      const built = commit.built;
      if (!built && !commit.files) throw new Error(`${recipe.id}: a commit needs weights or files`);
      const files: RepoFiles = commit.files
        ? { 'README.md': readme, ...commit.files }
        : {
            'config.json': `${JSON.stringify(built!.config, null, 2)}\n`,
            'README.md': readme,
            ...weightFiles(built!.tensors, commit.shards, original.storage ?? 'safetensors', metadata),
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
          files: weightFiles(built!.tensors, 1, 'safetensors', metadata),
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
      ...(recipe.adapter ? { adapter: true as const } : {}),
    });
  }
  const merged = new Map((marker?.seed === seed && marker.version === GENERATOR_VERSION ? marker.repos : []).map((r) => [r.id, r]));
  for (const s of summaries) merged.set(s.id, s);
  await writeFile(markerPath, `${JSON.stringify({ version: GENERATOR_VERSION, seed, repos: [...merged.values()] }, null, 2)}\n`);
  return summaries;
}
