import { markAnalysisDone, markAnalysisFailed, claimAnalysis, createAnalysis, updateProgress } from '@/db/queries/analyses';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { storeLayer, toLayerResult } from '@/db/queries/layers-write';
import { ensureRevision, upsertModel } from '@/db/queries/models-write';
import { analyses, layerEsd, layers, type CheckpointRead } from '@/db/schema';
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
  /** MoE expert index (role `expert`). */
  expert?: number;
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
    tensor: plan.tensor, ...(plan.expert != null ? { expert: plan.expert } : {}), name, status: 'success', shape: plan.shape, dtype: 'BF16',
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
  modelId: string; sha: string; ref?: string; plan: PlannedLayer[]; alphaAt: (depth: number, role: string, expert?: number) => number; seed: number;
  finish?: 'done' | 'running' | 'failed';
  checkpoint?: CheckpointRead;
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
    const result = plantedLayer(plan, params.alphaAt(depth, plan.role, plan.expert), rand);
    results.push(result);
    await storeLayer({
      analysisId: analysis.id,
      layer: result,
      placement: { ordinal: i, blockIndex: plan.block, relativeDepth: plan.block == null ? null : depth, role: plan.role, fused: plan.fused ?? false },
    });
  }
  await updateProgress({ analysisId: analysis.id, layersDone: upto, layersTotal: params.plan.length, secondsPerLayer: 0.5, checkpoint: params.checkpoint });
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

/** OPT-style names, as in a `pytorch_model.bin` of facebook/opt-*. */
function optLayers(blocks: number, d = 64): PlannedLayer[] {
  const out: PlannedLayer[] = [{ tensor: 'model.decoder.embed_tokens.weight', role: 'embedding', block: null, shape: [512, d] }];
  for (let b = 0; b < blocks; b++) {
    for (const [n, role, shape] of [
      ['self_attn.q_proj', 'q', [d, d]], ['self_attn.k_proj', 'k', [d, d]], ['self_attn.v_proj', 'v', [d, d]],
      ['self_attn.out_proj', 'o', [d, d]], ['fc1', 'up', [4 * d, d]], ['fc2', 'down', [d, 4 * d]],
    ] as const) {
      out.push({ tensor: `model.decoder.layers.${b}.${n}.weight`, role, block: b, shape: [shape[0], shape[1]] });
    }
  }
  return out;
}

/** Mixtral-style names: attention, a router and per-expert w1 (gate) / w2 (down) / w3 (up) in every block. */
export function mixtralLayers(blocks: number, experts: number, d = 64, ff = 112): PlannedLayer[] {
  const out: PlannedLayer[] = [{ tensor: 'model.embed_tokens.weight', role: 'embedding', block: null, shape: [512, d] }];
  for (let b = 0; b < blocks; b++) {
    for (const [n, role] of [['q_proj', 'q'], ['k_proj', 'k'], ['v_proj', 'v'], ['o_proj', 'o']] as const) {
      out.push({ tensor: `model.layers.${b}.self_attn.${n}.weight`, role, block: b, shape: [d, d] });
    }
    out.push({ tensor: `model.layers.${b}.block_sparse_moe.gate.weight`, role: 'router', block: b, shape: [experts * 8, d] });
    for (let e = 0; e < experts; e++) {
      for (const [w, shape] of [['w1', [ff, d]], ['w2', [d, ff]], ['w3', [ff, d]]] as const) {
        out.push({ tensor: `model.layers.${b}.block_sparse_moe.experts.${e}.${w}.weight`, role: 'expert', block: b, expert: e, shape: [shape[0], shape[1]] });
      }
    }
  }
  out.push({ tensor: 'lm_head.weight', role: 'lm_head', block: null, shape: [512, d] });
  return out;
}

/**
 * A mirror: a new model whose every layer carries the metrics (and ESD) of `source`'s shown analysis with
 * `reused_from = "<source> <tensor>"`, as the pipeline stores a repo whose bytes were all analysed before.
 */
async function storeMirror(params: { modelId: string; source: string; sha: string }): Promise<number> {
  const db = await getDb();
  const [src] = await db
    .select()
    .from(analyses)
    .where(and(eq(analyses.modelId, params.source), eq(analyses.status, 'done')))
    .orderBy(desc(analyses.id))
    .limit(1);
  if (!src) throw new Error(`mirror sample: ${params.source} has no done analysis`);
  const rows = await db.select().from(layers).where(eq(layers.analysisId, src.id)).orderBy(asc(layers.ordinal));
  const esds = rows.length
    ? await db.select().from(layerEsd).where(inArray(layerEsd.layerId, rows.map((r) => r.id)))
    : [];
  const esdOf = new Map(esds.map((e) => [e.layerId, e.esd]));
  const rev = await ensureRevision({ modelId: params.modelId, sha: params.sha, committedAt: new Date('2026-10-02T00:00:00Z') });
  const { analysis } = await createAnalysis({ modelId: params.modelId, revisionId: rev.id });
  await claimAnalysis({ analysisId: analysis.id, worker: 'sample', staleAfterSeconds: 60 });
  for (const r of rows) {
    const from = r.expert != null && r.name.endsWith(`[${r.expert}]`) ? r.name : r.tensor;
    const layer: LayerResult = {
      ...toLayerResult(r),
      esd: esdOf.get(r.id) ?? null,
      timings: { read_s: 0, eigen_s: 0, fit_s: 0 },
      ...(r.status !== 'skipped' ? { reused_from: `${params.source} ${from}` } : {}),
    };
    await storeLayer({
      analysisId: analysis.id,
      layer,
      placement: { ordinal: r.ordinal, blockIndex: r.blockIndex, relativeDepth: r.relativeDepth, role: r.role, fused: r.fused },
    });
  }
  const checkpoint: CheckpointRead = src.checkpoint
    ? { ...src.checkpoint, sha: params.sha, ref: null }
    : { format: 'safetensors', sha: params.sha, ref: null, files: [{ path: 'model.safetensors', size: 1_048_576 }] };
  await updateProgress({ analysisId: analysis.id, layersDone: src.layersDone, layersTotal: src.layersTotal ?? rows.length, bytesRead: 0, secondsPerLayer: 0, checkpoint });
  await markAnalysisDone({ analysisId: analysis.id, summary: src.summary ?? null, timings: { total_s: 0 } });
  return analysis.id;
}

/** The model ids {@link seedCheckpointSamples} writes (mirror: of the given source). */
export function checkpointSampleIds(mirrorOf: string) {
  return { bin: 'sample/opt-mini-bin', moe: 'sample/mixtral-mini', mirror: `sample/${mirrorOf.split('/')[1]}-mirror` } as const;
}

/**
 * Models for what the reader and the dedupe store beyond safetensors: a `pytorch_model.bin` (pytorch-zip) analysis,
 * a Mixtral-style MoE with 4 experts per block, and a mirror of `mirrorOf` (which must have a done analysis) whose
 * layers were all reused. Used by tests and the e2e seed; all models are small, below 1B parameters and not F32.
 */
export async function seedCheckpointSamples({ mirrorOf = 'sample/llama-mini' }: { mirrorOf?: string } = {}) {
  const ids = checkpointSampleIds(mirrorOf);
  await upsertModel({ id: ids.bin, family: 'opt', architecture: 'OPTForCausalLM', parameterCount: 125_000_000, dtype: 'F16', license: 'other', downloads: 800, likes: 5, source: 'demo', synthetic: true });
  await storeAnalysis({
    modelId: ids.bin, sha: sha(20), plan: optLayers(3), alphaAt: (d, role) => (role === 'embedding' ? 3.2 : 3 + d), seed: 20,
    checkpoint: { format: 'pytorch-zip', sha: sha(20), ref: null, files: [{ path: 'pytorch_model.bin', size: 250_539_409 }] },
  });

  await upsertModel({ id: ids.moe, family: 'mixtral', architecture: 'MixtralForCausalLM', parameterCount: 400_000_000, dtype: 'BF16', license: 'apache-2.0', downloads: 300, likes: 7, source: 'demo', synthetic: true });
  await storeAnalysis({
    modelId: ids.moe, sha: sha(21), plan: mixtralLayers(3, 4),
    alphaAt: (d, role, expert) => (role === 'expert' ? 2.6 + d + 0.4 * (expert ?? 0) : role === 'router' ? 5 : 3.5 + 0.5 * d),
    seed: 21,
    checkpoint: {
      format: 'safetensors', sha: sha(21), ref: null,
      files: [1, 2, 3].map((i) => ({ path: `model-0000${i}-of-00003.safetensors`, size: 180_000_000 + i })),
    },
  });

  await upsertModel({ id: ids.mirror, family: 'llama', architecture: 'LlamaForCausalLM', parameterCount: 110_000_000, dtype: 'BF16', license: 'apache-2.0', baseModel: null, downloads: 12, likes: 0, source: 'demo', synthetic: true });
  await storeMirror({ modelId: ids.mirror, source: mirrorOf, sha: sha(22) });
  return ids;
}

/**
 * A delta analysis of sample/llama-mini-chat against sample/llama-mini (seedSampleBoard first): ΔW rows with the
 * delta columns, frozen (unchanged) attention in block 0, a classifier head only in the fine-tune (unmatched) and
 * lm_head only in the base. Returns the analysis id.
 */
export async function seedDeltaSample(): Promise<number> {
  const ft = 'sample/llama-mini-chat';
  const base = 'sample/llama-mini';
  const rev = await ensureRevision({ modelId: ft, sha: sha(3) });
  const baseRev = await ensureRevision({ modelId: base, sha: sha(1) });
  const { analysis } = await createAnalysis({ modelId: ft, revisionId: rev.id, kind: 'delta', baseRevisionId: baseRev.id });
  await claimAnalysis({ analysisId: analysis.id, worker: 'sample', staleAfterSeconds: 60 });
  const rand = seededRandom(42);
  const plan = llamaLayers(2).filter((p) => p.role !== 'lm_head');
  const results: LayerResult[] = [];
  let ordinal = 0;
  const place = (p: PlannedLayer) => ({ ordinal: ordinal++, blockIndex: p.block, relativeDepth: p.block == null ? null : p.block, role: p.role, fused: false });
  for (const p of plan) {
    const frozen = p.block === 0 && ['q', 'k', 'v', 'o'].includes(p.role);
    const layer: LayerResult & Record<string, unknown> = frozen
      ? { tensor: p.tensor, name: p.tensor.replace(/\.weight$/, ''), status: 'unchanged' as never, shape: p.shape, dtype: 'BF16', base_tensor: p.tensor, base_shape: p.shape, delta_rel_frobenius: 0, delta_spectral_ratio: 0 }
      : {
        ...plantedLayer(p, 2 + 3 * rand(), rand),
        base_tensor: p.tensor, base_shape: p.shape,
        delta_rel_frobenius: 0.01 + 0.05 * rand(), delta_spectral_ratio: 0.02 + 0.1 * rand(),
        delta_stable_rank: 1 + 5 * rand(), delta_effective_rank: 3 + 20 * rand(), delta_alpha: -0.5 + rand(),
      };
    if (!frozen) results.push(layer);
    await storeLayer({ analysisId: analysis.id, layer, placement: place(p) });
  }
  const head: PlannedLayer = { tensor: 'score.weight', role: 'other', block: null, shape: [2, 64] };
  await storeLayer({ analysisId: analysis.id, layer: { tensor: head.tensor, name: 'score', status: 'unmatched' as never, shape: head.shape, dtype: 'BF16', side: 'model', reason: 'only in the fine-tune (no tensor of this name in the base)' }, placement: place(head) });
  const lm: PlannedLayer = { tensor: 'lm_head.weight', role: 'lm_head', block: null, shape: [512, 64] };
  await storeLayer({ analysisId: analysis.id, layer: { tensor: lm.tensor, name: 'lm_head', status: 'unmatched' as never, shape: lm.shape, dtype: 'BF16', side: 'base', reason: 'only in the base (no tensor of this name in the fine-tune)' }, placement: place(lm) });
  await updateProgress({ analysisId: analysis.id, layersDone: ordinal, layersTotal: ordinal });
  await markAnalysisDone({ analysisId: analysis.id, summary: statsOf(results) });
  return analysis.id;
}
