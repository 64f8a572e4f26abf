import { encodeSafetensors, type TensorSpec } from '@/lib/safetensors';
import { commitFiles, writeStandInRepo } from '@/lib/hub-stand-in/repo-store';
import { seededRandom } from '@/lib/spectral/rng';

/**
 * Tiny Llama-style checkpoints for the ingestion tests: real safetensors in the real Hub layout (config.json,
 * single file or shards + model.safetensors.index.json), small enough that a whole model is analysed in a
 * fraction of a second, so the tests measure the pipeline (streaming, storing, resuming), not the eigen-solver.
 * Per block: q, k, v, o (hidden x hidden), gate, up (inter x hidden), down (hidden x inter), two norm vectors.
 */

export interface TinyRepoSpec {
  id: string;
  blocks?: number;
  hidden?: number;
  inter?: number;
  vocab?: number;
  dtype?: 'F32' | 'BF16' | 'F16';
  /** Split the weights over this many shards with an index (default 1: a single model.safetensors). */
  shards?: number;
  seed?: number;
  branch?: string;
  tag?: string;
  title?: string;
  /** Put a NaN into this tensor (a corrupt upload). */
  nanTensor?: string;
}

/** Uniform values in [-0.5, 0.5) from the project's seeded generator. */
export function centredRandom(seed: number): () => number {
  const next = seededRandom(seed >>> 0 || 1);
  return () => next() - 0.5;
}

export function tinyLlamaTensors(spec: TinyRepoSpec): TensorSpec[] {
  const { blocks = 2, hidden = 32, inter = 48, vocab = 96, dtype = 'F32', seed = 1 } = spec;
  const r = centredRandom(seed);
  const mat = (name: string, rows: number, cols: number): TensorSpec => ({
    name,
    dtype,
    shape: [rows, cols],
    data: Float64Array.from({ length: rows * cols }, () => r() * 0.2),
  });
  const vec = (name: string, n: number): TensorSpec => ({ name, dtype, shape: [n], data: new Float64Array(n).fill(1) });
  const out: TensorSpec[] = [mat('model.embed_tokens.weight', vocab, hidden)];
  for (let b = 0; b < blocks; b++) {
    const p = `model.layers.${b}`;
    out.push(
      vec(`${p}.input_layernorm.weight`, hidden),
      mat(`${p}.self_attn.q_proj.weight`, hidden, hidden),
      mat(`${p}.self_attn.k_proj.weight`, hidden, hidden),
      mat(`${p}.self_attn.v_proj.weight`, hidden, hidden),
      mat(`${p}.self_attn.o_proj.weight`, hidden, hidden),
      vec(`${p}.post_attention_layernorm.weight`, hidden),
      mat(`${p}.mlp.gate_proj.weight`, inter, hidden),
      mat(`${p}.mlp.up_proj.weight`, inter, hidden),
      mat(`${p}.mlp.down_proj.weight`, hidden, inter),
    );
  }
  out.push(vec('model.norm.weight', hidden), mat('lm_head.weight', vocab, hidden));
  const poisoned = out.find((t) => t.name === spec.nanTensor);
  if (poisoned) (poisoned.data as Float64Array)[1] = Number.NaN;
  return out;
}

/** Number of analysable (2-D, min(N,M) >= 10) layers of a tiny model. */
export function tinyLayerCount(spec: Pick<TinyRepoSpec, 'blocks'>): number {
  return (spec.blocks ?? 2) * 7 + 2;
}

/** Create (or push a new commit to) a tiny repo in a stand-in Hub folder; returns the commit sha. */
export async function writeTinyRepo(root: string, spec: TinyRepoSpec): Promise<string> {
  const { blocks = 2, hidden = 32, inter = 48, vocab = 96, shards = 1 } = spec;
  await writeStandInRepo(root, { id: spec.id, downloads: 1000, likes: 3, tags: ['safetensors', 'text-generation'] });
  const tensors = tinyLlamaTensors(spec);
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: blocks,
    vocab_size: vocab,
    torch_dtype: spec.dtype === 'BF16' ? 'bfloat16' : spec.dtype === 'F16' ? 'float16' : 'float32',
  };
  const files: Record<string, Uint8Array | string> = {
    'config.json': JSON.stringify(config, null, 2),
    'README.md': `---\nlicense: apache-2.0\n---\n# ${spec.id}\nA tiny test checkpoint.\n`,
  };
  if (shards <= 1) {
    files['model.safetensors'] = encodeSafetensors(tensors, { format: 'pt' });
  } else {
    const per = Math.ceil(tensors.length / shards);
    const weightMap: Record<string, string> = {};
    let total = 0;
    for (let s = 0; s < shards; s++) {
      const part = tensors.slice(s * per, (s + 1) * per);
      const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const bytes = encodeSafetensors(part, { format: 'pt' });
      files[name] = bytes;
      total += bytes.length;
      for (const t of part) weightMap[t.name] = name;
    }
    files['model.safetensors.index.json'] = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap });
  }
  return commitFiles(root, spec.id, { files, branch: spec.branch, tag: spec.tag, title: spec.title ?? `upload ${spec.seed ?? 1}` });
}
