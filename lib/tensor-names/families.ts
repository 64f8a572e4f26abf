/**
 * Model families by tensor-naming scheme (mixture-of-experts and multimodal variants are families of their own).
 * The family is a hint for the few names that mean different things in different checkpoints (Qwen-1's
 * `w1`/`w2`); most names are unambiguous on their own.
 */

export const MODEL_FAMILIES = [
  'llama',
  'mistral',
  'qwen2',
  'qwen',
  'gemma',
  'falcon',
  'gpt2',
  'gpt_neox',
  'phi',
  'phi3',
  'olmo',
  'gptj',
  'opt',
  'bloom',
  'stablelm',
  'granite',
  'granitemoe',
  'mixtral',
  'qwen2_moe',
  'olmoe',
  'phimoe',
  'deepseek',
  'llama4',
  'gpt_oss',
  'gemma3',
  'mllama',
  'llava',
  'qwen2_vl',
  'unknown',
] as const;

export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** config.json `model_type` (lower-cased) -> family. */
const MODEL_TYPES: Record<string, ModelFamily> = {
  llama: 'llama',
  mistral: 'mistral',
  mixtral: 'mixtral',
  qwen2: 'qwen2',
  qwen3: 'qwen2',
  qwen2_moe: 'qwen2_moe',
  qwen3_moe: 'qwen2_moe',
  qwen: 'qwen',
  gemma: 'gemma',
  gemma2: 'gemma',
  gemma3_text: 'gemma',
  gemma3: 'gemma3',
  falcon: 'falcon',
  refinedweb: 'falcon',
  refinedwebmodel: 'falcon',
  gpt2: 'gpt2',
  gpt_neox: 'gpt_neox',
  phi: 'phi',
  'phi-msft': 'phi',
  'mixformer-sequential': 'phi',
  phi3: 'phi3', // Phi-3, Phi-3.5-mini and Phi-4 (Phi-4 ships as Phi3ForCausalLM)
  phimoe: 'phimoe',
  olmo: 'olmo',
  olmo2: 'olmo',
  olmo3: 'olmo',
  hf_olmo: 'olmo',
  olmoe: 'olmoe',
  gptj: 'gptj',
  opt: 'opt',
  bloom: 'bloom',
  stablelm: 'stablelm',
  stablelm_epoch: 'stablelm',
  granite: 'granite',
  granitemoe: 'granitemoe',
  granitemoeshared: 'granitemoe',
  deepseek_v2: 'deepseek',
  deepseek_v3: 'deepseek',
  llama4: 'llama4',
  llama4_text: 'llama4',
  gpt_oss: 'gpt_oss',
  mllama: 'mllama',
  llava: 'llava',
  llava_next: 'llava',
  qwen2_vl: 'qwen2_vl',
  qwen2_5_vl: 'qwen2_vl',
};

/** `architectures[0]` prefixes, for configs without a usable model_type (longest prefixes first where they overlap). */
const ARCHITECTURE_PREFIXES: Array<[string, ModelFamily]> = [
  ['llama4', 'llama4'],
  ['llava', 'llava'],
  ['mllama', 'mllama'],
  ['llama', 'llama'],
  ['mistral', 'mistral'],
  ['mixtral', 'mixtral'],
  ['qwen2moe', 'qwen2_moe'],
  ['qwen3moe', 'qwen2_moe'],
  ['qwen2vl', 'qwen2_vl'],
  ['qwen2_5_vl', 'qwen2_vl'],
  ['qwen2', 'qwen2'],
  ['qwen3', 'qwen2'],
  ['qwen', 'qwen'],
  ['gemma3forconditional', 'gemma3'],
  ['gemma', 'gemma'],
  ['falcon', 'falcon'],
  ['refinedweb', 'falcon'],
  ['rwfor', 'falcon'],
  ['gpt2', 'gpt2'],
  ['gptneox', 'gpt_neox'],
  ['gptj', 'gptj'],
  ['gptoss', 'gpt_oss'],
  ['phi3', 'phi3'],
  ['phimoe', 'phimoe'],
  ['phi', 'phi'],
  ['olmoe', 'olmoe'],
  ['olmo', 'olmo'],
  ['opt', 'opt'],
  ['bloom', 'bloom'],
  ['stablelm', 'stablelm'],
  ['granitemoe', 'granitemoe'],
  ['granite', 'granite'],
  ['deepseekv', 'deepseek'],
];

/** Family from a config.json object (model_type first, then architectures); 'unknown' when neither is known. */
export function familyFromConfig(config: unknown): ModelFamily {
  if (typeof config !== 'object' || config === null) return 'unknown';
  const { model_type: modelType, architectures } = config as { model_type?: unknown; architectures?: unknown };
  if (typeof modelType === 'string') {
    const family = MODEL_TYPES[modelType.toLowerCase()];
    if (family) return family;
  }
  if (Array.isArray(architectures) && typeof architectures[0] === 'string') {
    const arch = architectures[0].toLowerCase();
    for (const [prefix, family] of ARCHITECTURE_PREFIXES) if (arch.startsWith(prefix)) return family;
  }
  return 'unknown';
}

/**
 * Family guessed from tensor names alone (a bare .safetensors file without config.json). Ordered from the most
 * distinctive markers to the most generic.
 */
export function familyFromTensorNames(names: readonly string[]): ModelFamily {
  const has = (re: RegExp) => names.some((n) => re.test(n));
  if (has(/^gpt_neox\./)) return 'gpt_neox';
  if (has(/(^|\.)blocks\.\d+\.(att_proj|ff_proj)\./)) return 'olmo';
  if (has(/(^|\.)h\.\d+\.self_attention\.query_key_value\./)) return has(/(^|\.)word_embeddings_layernorm\./) ? 'bloom' : 'falcon';
  if (has(/(^|\.)h\.\d+\.attn\.c_attn\./)) return has(/(^|\.)h\.\d+\.mlp\.w1\./) ? 'qwen' : 'gpt2';
  if (has(/(^|\.)h\.\d+\.mlp\.fc_in\./)) return 'gptj';
  if (has(/\.experts\.gate_up_proj_(blocks|scales)$/) || has(/\.mlp\.router\.weight$/)) return 'gpt_oss';
  if (has(/\.feed_forward\.(router|experts)\./) || has(/\.feed_forward\.experts\.gate_up_proj$/)) return 'llama4';
  if (has(/\.self_attn\.(kv_a_proj_with_mqa|q_a_proj)\./)) return 'deepseek';
  if (has(/\.block_sparse_moe\.(input_linear|router\.layer)\./)) return 'granitemoe';
  if (has(/(^|\.)visual\.blocks\.\d+\./)) return 'qwen2_vl';
  if (has(/(^|\.)vision_model\.(global_)?transformer\./)) return 'mllama';
  if (has(/(^|\.)vision_tower\./) && has(/\.pre_feedforward_layernorm\./)) return 'gemma3';
  if (has(/(^|\.)vision_tower\./) && has(/(^|\.)multi_modal_projector\.linear_1\./)) return 'llava';
  if (has(/\.mlp\.(shared_expert\.|shared_expert_gate\.)/)) return 'qwen2_moe';
  if (has(/\.qkv_proj\./) && has(/\.gate_up_proj\./)) return 'phi3';
  if (has(/\.self_attn\.dense\./) && has(/\.mlp\.fc1\./)) return 'phi';
  if (has(/(^|\.)decoder\.layers\.\d+\.fc1\./)) return 'opt';
  if (has(/\.pre_feedforward_layernorm\./)) return 'gemma';
  if (has(/\.block_sparse_moe\./)) return 'mixtral';
  if (has(/\.mlp\.experts\.\d+\./)) return 'qwen2_moe'; // also OLMoE and Qwen3-MoE: the same names
  if (has(/(^|\.)layers\.\d+\.self_attn\.q_proj\./) || has(/(^|\.)layers\.\d+\.attention\.wq\./)) return 'llama';
  return 'unknown';
}
