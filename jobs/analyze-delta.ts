import { summarize } from '@/lib/spectral/summary';
import type { AnalysisOptions, EsdData, LayerResult } from '@/lib/types';
import { openHubCheckpoint } from '@/lib/checkpoint/hub';
import { hubLocation } from '@/lib/checkpoint/hub-location';
import type { TensorSource } from '@/lib/checkpoint';
import { createHubStats } from '@/lib/hub';
import { blockCount, parseTensorName, relativeDepth } from '@/lib/tensor-names';
import { AdapterError, openAdapter } from '@/lib/delta/adapter';
import { analyzeAdapter, analyzeDelta, DeltaError, type DeltaLayer, type MatrixAnalyser } from '@/lib/delta/run-delta';
import { getRevisionRef, markAnalysisDone, updateProgress } from '@/db/queries/analyses';
import { storeDoneAnalysisViews } from '@/db/queries/store-views';

import { listLayerResults, listStoredTensors, storeLayer, type StoredLayerPlacement } from '@/db/queries/layers-write';
import type { Analysis } from '@/db/schema';
import type { AnalyzeOutcome, RunContext } from './claimed-run';
import { getComputePool } from './compute-pool';
import { jobsConfig } from './config';
import { classifyError, PermanentJobError } from './errors';
import type { AnalyzeModelData } from './queue';

/**
 * Delta and adapter analyses on the board. Both run as `analyze-model` jobs (the handler dispatches on the analysis
 * row's `kind`) under the same claim, heartbeat, time slice and failure handling as a model analysis
 * (./claimed-run.ts), and store their rows with `storeLayer` under the claim, so they are exactly-once and resumable
 * the same way: a resumed run skips every row already stored (by unit key) without reading its tensors.
 *
 * Delta (`kind = 'delta'`): the model's revision (`revisionId`) against the base revision (`baseRevisionId`), both
 * read tensor by tensor at their pinned shas (lib/delta/run-delta's analyzeDelta: the base matrix, then the
 * model's, then ΔW in float64; two tensors in flight, never a model). The three matrix analyses of a pair (ΔW, W,
 * W_base) run in the compute pool's threads. Rows: success / failed / skipped as usual, `unmatched` (a tensor in one
 * model only, or a shape mismatch; the reason in skip_reason, `side` says which model) and `unchanged` (ΔW = 0).
 *
 * Adapter (`kind = 'adapter'`): a PEFT LoRA repo, one row per module for ΔW = s·B·A (r × r route: small enough for
 * the event loop, r ≤ 2048 is enforced per module). With a base revision on the board, each module must fit the
 * base's matrix of that name (else an `error:` row) and W_base + ΔW is analysed in the pool's threads, giving
 * delta_alpha and ΔW's size relative to W_base. A base that cannot be read is noted on the analysis.
 *
 * Permanent failures, stored on the analysis as its error: no tensor name in common ("different architectures?"),
 * an unsupported adapter type ("unsupported adapter type <type>"), a gated/missing checkpoint on either side.
 */

/** Analysed rows (a fit was attempted); unchanged / unmatched / skipped rows carry no metrics. */
function analysedRows(rows: LayerResult[]): LayerResult[] {
  return rows.filter((l) => l.status === 'success' || l.status === 'failed');
}

/** Transient failures are retried by the queue rather than stored as an `error:` row. */
function isTransient(err: unknown): boolean {
  if (err instanceof AdapterError) return false; // a module that does not fit: that row's reason, not a retry
  const c = classifyError(err);
  return !c.permanent && c.kind !== 'bad_tensor';
}

/** The compute pool as run-delta's matrix analyser: the eigen-solves leave the event loop. */
function poolAnalyser(): MatrixAnalyser {
  const pool = getComputePool();
  return (data, rows, cols, options) => pool.analyze(data, rows, cols, options as AnalysisOptions);
}

/**
 * The pool analyser, keeping ΔW's spectrum (run-delta names that call's subject `<name> (ΔW)`) until its row is
 * stored, so the ESD viewer can show ΔW like any layer. W's and W_base's spectra are not kept.
 */
function deltaEsdAnalyser(): { analyse: MatrixAnalyser; take: (name: string) => EsdData | undefined } {
  const analyse = poolAnalyser();
  const pending = new Map<string, EsdData>();
  return {
    analyse: async (data, rows, cols, options) => {
      const result = await analyse(data, rows, cols, options);
      const subject = (options as { subject?: string } | undefined)?.subject;
      if (subject?.endsWith(' (ΔW)') && result.esd) pending.set(subject, result.esd);
      return result;
    },
    take: (name) => {
      const key = `${name} (ΔW)`;
      const esd = pending.get(key);
      pending.delete(key);
      return esd;
    },
  };
}

function placementOf(tensor: string, ordinal: number, blocks: number): StoredLayerPlacement {
  const info = parseTensorName(tensor);
  return { ordinal, blockIndex: info.blockIndex, relativeDepth: relativeDepth(info, blocks), role: info.role, fused: info.fused };
}

function checkSize(source: TensorSource, what: string): void {
  const cap = jobsConfig().MAX_CHECKPOINT_BYTES;
  const bytes = source.files.reduce((s, f) => s + f.size, 0);
  if (bytes > cap) {
    throw new PermanentJobError(
      'too_large',
      `too large: ${what} has ${(bytes / 1e9).toFixed(2)} GB of weights, over the cap of ${(cap / 1e9).toFixed(2)} GB (MAX_CHECKPOINT_BYTES)`,
    );
  }
}

/** A stored row from a DeltaLayer (CLI shape) and where it sits. */
function toStored(layer: DeltaLayer): LayerResult {
  const { timings, ...rest } = layer as DeltaLayer & { timings?: LayerResult['timings'] };
  return { ...(rest as unknown as LayerResult), ...(timings ? { timings } : {}) };
}

interface RowLoop {
  data: AnalyzeModelData;
  ctx: RunContext;
  stored: Set<string>;
  blocks: number;
  /** ΔW's spectrum for a row (by layer name), stored with it when present. */
  esdOf?: (name: string) => EsdData | undefined;
}

/** The onLayer hook shared by both kinds: store under the claim, report progress, stop at the slice's end. */
function rowStorer(loop: RowLoop) {
  let done = loop.stored.size;
  let last = -1;
  let total = 0;
  let stoppedEarly = false;
  const onLayer = async (layer: DeltaLayer, index: number, count: number): Promise<boolean> => {
    total = count;
    const esd = loop.esdOf?.(layer.name);
    await storeLayer({
      analysisId: loop.data.analysisId,
      layer: esd && (layer.status === 'success' || layer.status === 'failed') ? { ...toStored(layer), esd } : toStored(layer),
      placement: placementOf(layer.tensor, index, loop.blocks),
      worker: loop.ctx.worker,
    });
    done++;
    last = index;
    await updateProgress({ analysisId: loop.data.analysisId, worker: loop.ctx.worker, layersTotal: count, layersDone: done });
    await loop.ctx.onLayerStored?.({ tensor: layer.tensor, layersDone: done, layersTotal: count });
    if (index + 1 < count && (loop.ctx.stop.aborted || Date.now() > loop.ctx.deadline)) {
      stoppedEarly = true;
      return false;
    }
    return true;
  };
  return { onLayer, state: () => ({ stoppedEarly, last, total }) };
}

/** The summary is WeightWatcher's over ΔW's analysed rows (the same ModelStats shape as a model's). */
async function finish(data: AnalyzeModelData, ctx: RunContext, started: number): Promise<AnalyzeOutcome> {
  const all = await listLayerResults({ analysisId: data.analysisId });
  const rows = analysedRows(all);
  const summary = rows.length > 0 ? summarize(rows) : null;
  await markAnalysisDone({
    analysisId: data.analysisId,
    worker: ctx.worker,
    summary,
    timings: { total_s: (performance.now() - started) / 1000 },
  });
  ctx.log.info({ rows: all.length, analysed: rows.length }, 'analysis done');
  await storeDoneAnalysisViews(data.analysisId).catch((err) => {
    ctx.log.warn({ err: (err as Error).message }, 'could not store the read views');
  });
  return 'done';
}

export async function runDeltaAnalysis(data: AnalyzeModelData, analysis: Analysis, ctx: RunContext): Promise<AnalyzeOutcome> {
  if (analysis.baseRevisionId === null) {
    throw new PermanentJobError('no_base', analysis.error ?? 'delta analysis without a base revision');
  }
  const base = await getRevisionRef({ revisionId: analysis.baseRevisionId });
  if (!base) throw new PermanentJobError('no_base', 'the base revision of this delta analysis is gone');
  if (base.modelId === data.repoId && base.sha === data.sha) {
    throw new PermanentJobError('bad_base', `${data.repoId}: base_model points at the model itself`);
  }
  const started = performance.now();
  const stats = createHubStats();
  const onRetry = (info: unknown) => ctx.log.warn({ retry: info }, 'retrying Hub request');
  const onNotice = (message: string) => ctx.log.warn(message);
  const model = await openHubCheckpoint({ repo: data.repoId, sha: data.sha, stats, onRetry, onNotice });
  let baseCk;
  try {
    baseCk = await openHubCheckpoint({ repo: base.modelId, sha: base.sha, stats, onRetry, onNotice });
  } catch (err) {
    const c = classifyError(err);
    if (!c.permanent) throw err;
    throw new PermanentJobError(c.kind, `base ${base.modelId}: ${c.message}`);
  }
  checkSize(model.source, data.repoId);
  checkSize(baseCk.source, `base ${base.modelId}`);
  await updateProgress({
    analysisId: data.analysisId,
    worker: ctx.worker,
    checkpoint: { format: model.source.format, sha: model.readSha, ref: model.conversionPr?.ref ?? null, files: model.source.files },
  });
  const stored = await listStoredTensors({ analysisId: data.analysisId });
  if (stored.size > 0) ctx.log.info({ stored: stored.size }, 'resuming delta analysis');
  const spectra = deltaEsdAnalyser();
  const storer = rowStorer({ data, ctx, stored, blocks: blockCount(model.source.tensors.map((t) => t.name)), esdOf: spectra.take });
  try {
    await analyzeDelta(model.source, baseCk.source, analysis.options ?? {}, undefined, {
      analyzeMatrix: spectra.analyse,
      isDone: (key) => stored.has(key),
      onLayer: storer.onLayer,
      rethrow: isTransient,
    });
  } catch (err) {
    if (err instanceof DeltaError) throw new PermanentJobError('different_architectures', err.message);
    throw err;
  }
  if (storer.state().stoppedEarly) return 'continued';
  return finish(data, ctx, started);
}

export async function runAdapterAnalysis(data: AnalyzeModelData, analysis: Analysis, ctx: RunContext): Promise<AnalyzeOutcome> {
  const started = performance.now();
  const stats = createHubStats();
  const location = hubLocation({ repo: data.repoId, revision: data.sha, stats });
  let adapter;
  try {
    adapter = await openAdapter(location);
  } catch (err) {
    if (err instanceof AdapterError) {
      const kind = /^unsupported adapter type/.test(err.message) ? 'unsupported_adapter' : 'bad_adapter';
      throw new PermanentJobError(kind, err.message);
    }
    throw err;
  }
  // The base, when it can be read: each module is checked against the base matrix of its name and W_base + ΔW is
  // analysed too (lib/delta's analyzeAdapter). A base that cannot be read is said on the analysis, not fatal.
  let base: TensorSource | undefined;
  let note: string | undefined;
  if (analysis.baseRevisionId !== null) {
    const ref = await getRevisionRef({ revisionId: analysis.baseRevisionId });
    if (ref) {
      try {
        base = (await openHubCheckpoint({ repo: ref.modelId, sha: ref.sha, stats })).source;
      } catch (err) {
        const c = classifyError(err);
        if (!c.permanent) throw err;
        note = `base ${ref.modelId} could not be read (${c.message}): ΔW analysed alone, without W_base + ΔW`;
        ctx.log.warn({ base: ref.modelId, err: c.message }, 'adapter base not readable');
      }
    }
  } else if (adapter.config.base_model_name_or_path) {
    note = `base ${adapter.config.base_model_name_or_path} is not on the board: ΔW analysed alone, without W_base + ΔW`;
  }
  await updateProgress({
    analysisId: data.analysisId,
    worker: ctx.worker,
    checkpoint: { format: adapter.source.format, sha: data.sha, ref: null, files: adapter.source.files, ...(note ? { note } : {}) },
  });
  const stored = await listStoredTensors({ analysisId: data.analysisId });
  const storer = rowStorer({ data, ctx, stored, blocks: blockCount(adapter.source.tensors.map((t) => t.name.replace(/\.lora_[AB].*$/, '.weight'))) });
  // Randomization needs the dense matrix: adapters are analysed without it (the r × r route).
  const { randomize: _r, seed: _s, ...adapterOptions } = analysis.options ?? {};
  await analyzeAdapter(adapter, adapterOptions, undefined, {
    base,
    analyzeMatrix: poolAnalyser(),
    isDone: (key) => stored.has(key),
    onLayer: storer.onLayer,
    rethrow: isTransient,
  });
  if (storer.state().stoppedEarly) return 'continued';
  return finish(data, ctx, started);
}
