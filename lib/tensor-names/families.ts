/**
 * Model families by tensor-naming scheme. The family is a hint for the few names that mean different things in
 * different checkpoints (Qwen-1's `w1`/`w2`); most names are unambiguous on their own.
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
  'unknown',
] as const;

export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** config.json `model_type` (lower-cased) -> family. */
const MODEL_TYPES: Record<string, ModelFamily> = {
  llama: 'llama',
  mistral: 'mistral',
  mixtral: 'mistral',
  qwen2: 'qwen2',
  qwen2_moe: 'qwen2',
  qwen3: 'qwen2',
  qwen3_moe: 'qwen2',
  qwen: 'qwen',
  gemma: 'gemma',
  gemma2: 'gemma',
  gemma3: 'gemma',
  gemma3_text: 'gemma',
  falcon: 'falcon',
  refinedweb: 'falcon',
  refinedwebmodel: 'falcon',
  gpt2: 'gpt2',
  gpt_neox: 'gpt_neox',
  phi: 'phi',
  'phi-msft': 'phi',
  phi3: 'phi3',
  phimoe: 'phi3',
  olmo: 'olmo',
  olmo2: 'olmo',
  olmo3: 'olmo',
  olmoe: 'olmo',
  hf_olmo: 'olmo',
};

/** `architectures[0]` prefixes, for configs without a usable model_type. */
const ARCHITECTURE_PREFIXES: Array<[string, ModelFamily]> = [
  ['llama', 'llama'],
  ['mistral', 'mistral'],
  ['mixtral', 'mistral'],
  ['qwen2', 'qwen2'],
  ['qwen3', 'qwen2'],
  ['qwen', 'qwen'],
  ['gemma', 'gemma'],
  ['falcon', 'falcon'],
  ['refinedweb', 'falcon'],
  ['gpt2', 'gpt2'],
  ['gptneox', 'gpt_neox'],
  ['phi3', 'phi3'],
  ['phimoe', 'phi3'],
  ['phi', 'phi'],
  ['olmo', 'olmo'],
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
  if (has(/(^|\.)h\.\d+\.self_attention\.query_key_value\./)) return 'falcon';
  if (has(/(^|\.)h\.\d+\.attn\.c_attn\./)) return has(/(^|\.)h\.\d+\.mlp\.w1\./) ? 'qwen' : 'gpt2';
  if (has(/\.qkv_proj\./) && has(/\.gate_up_proj\./)) return 'phi3';
  if (has(/\.self_attn\.dense\./) && has(/\.mlp\.fc1\./)) return 'phi';
  if (has(/\.pre_feedforward_layernorm\./)) return 'gemma';
  if (has(/\.block_sparse_moe\./)) return 'mistral';
  if (has(/(^|\.)layers\.\d+\.self_attn\.q_proj\./) || has(/(^|\.)layers\.\d+\.attention\.wq\./)) return 'llama';
  return 'unknown';
}
