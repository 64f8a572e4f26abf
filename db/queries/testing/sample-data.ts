import { markAnalysisDone, markAnalysisFailed, claimAnalysis, createAnalysis, updateProgress } from '@/db/queries/analyses';
import { storeLayer } from '@/db/queries/layers-write';
import { ensureRevision, upsertModel } from '@/db/queries/models-write';
import type { EsdData, LayerResult, ModelStats } from '@/lib/types';
import { seededRandom } from '@/lib/spectral/rng';

/**
 * Deterministic sample models written through the real write-side queries, for the read-side tests
 * (queries, REST API against its OpenAPI document). Spectra are drawn from planted power laws so that the stored
 * alpha, xmin and eigenvalues agree with each other; these are fixtures, not analyses.
 */


interface PlannedLayer {
  tensor: string;
  role: string;
  block: number | null;
  fused?: boolean;
  shape: [number, number];
}

function llamaLayers(blocks: number, d = 64, ff = 172): PlannedLayer[] {
  const out: PlannedLayer[] = [{ tensor: 'model.embed_tokens.weight', role: 'embedding', block: null, shape: [512, d] }];
  for (let b = 0; b < blocks; b++) {
    for (const [n, role, shape] of [
      ['self_attn.q_proj', 'q', [d, d]], ['self_attn.k_proj', 'k', [d, d]], ['self_attn.v_proj', 'v', [d, d]],
      ['self_attn.o_proj', 'o', [d, d]], ['mlp.gate_proj', 'gate', [ff, d]], ['mlp.up_proj', 'up', [ff, d]],
      ['mlp.down_proj', 'down', [d, ff]],
    ] as const) {
      out.push({ tensor: `model.layers.${b}.${n}.weight`, role, block: b, shape: [shape[0], shape[1]] });
    }
  }
  out.push({ tensor: 'lm_head.weight', role: 'lm_head', block: null, shape: [512, d] });
  return out;
}

function falconLayers(blocks: number, d = 64): PlannedLayer[] {
  const out: PlannedLayer[] = [{ tensor: 'transformer.word_embeddings.weight', role: 'embedding', block: null, shape: [512, d] }];
  for (let b = 0; b < blocks; b++) {
    out.push(
      { tensor: `transformer.h.${b}.self_attention.query_key_value.weight`, role: 'qkv', block: b, fused: true, shape: [3 * d, d] },
      { tensor: `transformer.h.${b}.self_attention.dense.weight`, role: 'o', block: b, shape: [d, d] },
      { tensor: `transformer.h.${b}.mlp.dense_h_to_4h.weight`, role: 'up', block: b, shape: [4 * d, d] },
      { tensor: `transformer.h.${b}.mlp.dense_4h_to_h.weight`, role: 'down', block: b, shape: [d, 4 * d] },
    );
  }
  return out;
}

/** A layer result with a planted power-law tail of exponent `alpha` (xmin = 1) over a uniform bulk. */
export function plantedLayer(plan: PlannedLayer, alpha: number, rand: () => number): LayerResult {
  const [N0, M0] = plan.shape;
  const M = Math.min(N0, M0);
  const N = Math.max(N0, M0);
  const nTail = Math.max(5, Math.round(M * 0.25));
  const evals: number[] = [];
  for (let i = 0; i < M - nTail; i++) evals.push(0.02 + 0.95 * rand());
  for (let i = 0; i < nTail; i++) evals.push(Math.pow(1 - rand(), -1 / (alpha - 1)));
  evals.sort((a, b) => a - b);
  const lambdaMax = evals[evals.length - 1];
  const norm = evals.reduce((s, v) => s + v, 0);
  const esd: EsdData = { evals, complete: true, fit: { alpha, xmin: 1, xmax: lambdaMax, D: 0.05 + 0.05 * rand(), status: 'success' } };
  const name = plan.tensor.replace(/\.weight$/, '');
  return {
    tensor: plan.tensor, name, status: 'success', shape: plan.shape, dtype: 'BF16',
    N, M, Q: N / M, num_evals: M, sv_max: Math.sqrt(lambdaMax), sv_min: Math.sqrt(evals[0]), rank_loss: 0, weak_rank_loss: 0,
    lambda_max: lambdaMax, alpha, xmin: 1, xmax: lambdaMax, D: esd.fit.D, sigma: (alpha - 1) / Math.sqrt(nTail), num_pl_spikes: nTail,
    warning: alpha < 2 ? 'over-trained' : alpha > 6 ? 'under-trained' : '', norm, log_norm: Math.log10(norm),
    spectral_norm: lambdaMax, log_spectral_norm: Math.log10(lambdaMax), alpha_weighted: alpha * Math.log10(lambdaMax),
    log_alpha_norm: Math.log10(evals.reduce((s, v) => s + v ** alpha, 0)), stable_rank: norm / lambdaMax, matrix_rank: M,
    entropy: 0.9, detX_num: Math.round(nTail * 0.8), detX_val: 0.7 + 0.6 * rand(),
    phase: alpha < 2 ? 'bleeding-out' : alpha > 6 ? 'random-like' : 'heavy-tailed', esd,
    timings: { read_s: 0.001, eigen_s: 0.002, fit_s: 0.001 },
  };
}

function statsOf(results: LayerResult[]): ModelStats {
  const ok = results.filter((r) => r.status === 'success');
  const mean = (f: (r: LayerResult) => number) => ok.reduce((s, r) => s + f(r), 0) / ok.length;
  const alphas = ok.map((r) => r.alpha!).sort((a, b) => a - b);
  const mid = alphas.length >> 1;
  return {
    log_norm: mean((r) => r.log_norm!), alpha: mean((r) => r.alpha!), alpha_weighted: mean((r) => r.alpha_weighted!),
    log_alpha_norm: mean((r) => r.log_alpha_norm!), log_spectral_norm: mean((r) => r.log_spectral_norm!), stable_rank: mean((r) => r.stable_rank!),
    layers_analyzed: ok.length,
    median_alpha: alphas.length % 2 ? alphas[mid] : (alphas[mid - 1] + alphas[mid]) / 2,
    mean_D: mean((r) => r.D!),
    share_alpha_lt_2: ok.filter((r) => r.alpha! < 2).length / ok.length,
    share_alpha_gt_6: ok.filter((r) => r.alpha! > 6).length / ok.length,
    correlation_traps: null,
  };
}

async function storeAnalysis(params: {
  modelId: string; sha: string; ref?: string; plan: PlannedLayer[]; alphaAt: (depth: number, role: string) => number; seed: number;
  finish?: 'done' | 'running' | 'failed';
}): Promise<number> {
  const rev = await ensureRevision({ modelId: params.modelId, sha: params.sha, ref: params.ref, committedAt: new Date('2026-10-01T00:00:00Z') });
  const { analysis } = await createAnalysis({ modelId: params.modelId, revisionId: rev.id });
  await claimAnalysis({ analysisId: analysis.id, worker: 'sample', staleAfterSeconds: 60 });
  if (params.finish === 'failed') {
    await markAnalysisFailed({ analysisId: analysis.id, error: 'gated: needs a token with access', errorKind: 'gated' });
    return analysis.id;
  }
  const rand = seededRandom(params.seed);
  const blocks = Math.max(1, ...params.plan.map((p) => (p.block ?? 0) + 1));
  const upto = params.finish === 'running' ? Math.ceil(params.plan.length / 2) : params.plan.length;
  const results: LayerResult[] = [];
  for (let i = 0; i < upto; i++) {
    const plan = params.plan[i];
    const depth = plan.block == null ? (plan.role === 'embedding' ? 0 : 1) : blocks > 1 ? plan.block / (blocks - 1) : 0;
    const result = plantedLayer(plan, params.alphaAt(depth, plan.role), rand);
    results.push(result);
    await storeLayer({
      analysisId: analysis.id,
      layer: result,
      placement: { ordinal: i, blockIndex: plan.block, relativeDepth: plan.block == null ? null : depth, role: plan.role, fused: plan.fused ?? false },
    });
  }
  await updateProgress({ analysisId: analysis.id, layersDone: upto, layersTotal: params.plan.length, secondsPerLayer: 0.5 });
  if (params.finish !== 'running') await markAnalysisDone({ analysisId: analysis.id, summary: statsOf(results) });
  return analysis.id;
}

const sha = (n: number) => n.toString(16).padStart(8, '0') + 'c'.repeat(32);

/** Writes the sample board; returns the ids it created. */
export async function seedSampleBoard(): Promise<{ models: string[] }> {
  const llama = 'sample/llama-mini';
  await upsertModel({ id: llama, family: 'llama', architecture: 'LlamaForCausalLM', parameterCount: 1_100_000_000, dtype: 'BF16', license: 'apache-2.0', downloads: 5000, likes: 40, source: 'demo', synthetic: true });
  await storeAnalysis({ modelId: llama, sha: sha(1), plan: llamaLayers(4), alphaAt: (d) => 2.5 + 1.5 * d, seed: 1 });

  const falcon = 'sample/falcon-mini';
  await upsertModel({ id: falcon, family: 'falcon', architecture: 'FalconForCausalLM', parameterCount: 7_000_000_000, dtype: 'BF16', license: 'apache-2.0', downloads: 9000, likes: 90, source: 'demo', synthetic: true });
  await storeAnalysis({ modelId: falcon, sha: sha(2), plan: falconLayers(3), alphaAt: (d, role) => (role === 'qkv' ? 5.5 : 4) + d, seed: 2 });

  const tuned = 'sample/llama-mini-chat';
  await upsertModel({ id: tuned, family: 'llama', architecture: 'LlamaForCausalLM', parameterCount: 1_100_000_000, dtype: 'F32', license: 'mit', baseModel: llama, downloads: 100, likes: 3, source: 'demo', synthetic: true });
  await storeAnalysis({ modelId: tuned, sha: sha(3), plan: llamaLayers(4), alphaAt: (d) => 1.8 + 1.2 * d, seed: 3 });

  const gated = 'sample/gated-model';
  await upsertModel({ id: gated, family: 'llama', architecture: 'LlamaForCausalLM', parameterCount: 8_000_000_000, dtype: 'BF16', license: 'llama3', gated: 'manual', source: 'demo', synthetic: true });
  await storeAnalysis({ modelId: gated, sha: sha(4), plan: llamaLayers(2), alphaAt: () => 3, seed: 4, finish: 'failed' });

  const running = 'sample/running-model';
  await upsertModel({ id: running, family: 'gpt2', architecture: 'GPT2LMHeadModel', parameterCount: 124_000_000, dtype: 'F32', license: 'mit', source: 'demo', synthetic: true });
  await storeAnalysis({ modelId: running, sha: sha(5), plan: llamaLayers(2), alphaAt: () => 6.5, seed: 5, finish: 'running' });

  const series = 'sample/pythia-mini';
  await upsertModel({ id: series, family: 'gpt_neox', architecture: 'GPTNeoXForCausalLM', parameterCount: 70_000_000, dtype: 'F16', license: 'apache-2.0', source: 'demo', synthetic: true });
  for (const [i, step] of [1000, 2000, 4000].entries()) {
    await storeAnalysis({ modelId: series, sha: sha(10 + i), ref: `step${step}`, plan: llamaLayers(2), alphaAt: (d) => 7 - i * 1.5 + d, seed: 10 + i });
  }
  return { models: [llama, falcon, tuned, gated, running, series] };
}
