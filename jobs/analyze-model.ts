// The summary only (no eigen kernels): this module also runs inside the Next server bundle.
import { summarize } from '@/lib/spectral/summary';
import type { LayerResult } from '@/lib/types';
import type { Analysis } from '@/db/schema';
import { getAnalysis, markAnalysisDone, updateProgress } from '@/db/queries/analyses';
import { storeDoneAnalysisViews } from '@/db/queries/store-views';
import { findLayerByContent, findLayersByFile, type ReusedLayer } from '@/db/queries/layer-reuse';
import { listLayerResults, listStoredTensors, storeLayer } from '@/db/queries/layers-write';
import { getModelRow } from '@/db/queries/models-write';
import { getComputePool, isDisplaced, type MatrixAnalysis } from './compute-pool';
import { jobsConfig } from './config';
import { runClaimed, type AnalyzeOutcome, type AnalyzeRunOptions, type LayerStageTimings, type RunContext } from './claimed-run';
import { runAdapterAnalysis, runDeltaAnalysis } from './analyze-delta';
import { classifyError, PermanentJobError } from './errors';
import { planLayers, skippedLayer } from './layer-plan';
import { collectGarbage, shouldPrefetch } from './memory';
import { openHubCheckpoint } from '@/lib/checkpoint/hub';
import { createHubStats } from '@/lib/hub';
import type { AnalyzeModelData } from './queue';

/**
 * The `analyze-model` job: one (repo, pinned sha, options) analysis, idempotent and resumable.
 *
 * 1. Claim the analysis row (a live claim elsewhere, or a done/failed analysis, makes this job a no-op).
 * 2. Read the checkpoint's tensor index at the pinned sha (headers only, by range requests).
 * 3. Select the layers WeightWatcher would analyse; other weight matrices are stored once as `skipped` with the reason.
 * 4. Skip layers already stored by an earlier attempt: a resumed run starts at the first missing layer.
 * 5. Stream the remaining tensors with two in flight: the next tensor is downloaded, decoded and submitted to the
 *    compute thread while the current one is analysed there (its Gram then overlaps the current one's QL and fit),
 *    so memory holds about two tensors (one above PREFETCH_MAX_BYTES decoded, an embedding, is read only after the
 *    current one is done; garbage is collected after each read, jobs/memory.ts). Layers are stored in order.
 * 6. Store each layer (and its ESD) as it completes, with progress, ETA inputs and timings.
 * 7. When all are stored, compute the model summary from the stored layers and mark the analysis done.
 *
 * Permanent failures (gated, not found, no weights in a readable format, unsupported dtype, over the size cap, corrupt header) mark
 * the analysis failed with a clear reason and are not retried. Anything else is thrown, so pg-boss retries it with
 * backoff; on the last attempt the analysis is marked failed too, so no analysis stays "running" forever.
 * The job works for at most 60% of its lease, then re-queues itself and returns.
 *
 * The claim is heart-beaten every few seconds (jobs/claims.ts). A worker that dies or stalls stops beating; after three
 * missed beats a live worker's sweeper (jobs/recovery.ts) re-queues the analysis and the next run takes the claim
 * over, resuming at the first missing layer, long before pg-boss's lease would expire. Every write of a run (layers,
 * progress, the summary) is made only while it still holds its claim, so a worker that was merely paused and wakes
 * up after a takeover stops without writing anything twice.
 */

/** Times a layer is read and submitted again after losing its compute thread to another layer's overrun. */
const MAX_RESUBMISSIONS = 3;

export { claimToken, type AnalyzeOutcome, type AnalyzeRunOptions, type LayerStageTimings, type LayerStoredInfo } from './claimed-run';

/** The `analyze-model` job's handler: model analyses here, delta and adapter analyses in ./analyze-delta.ts. */
export async function analyzeModel(data: AnalyzeModelData, run: AnalyzeRunOptions = {}): Promise<AnalyzeOutcome> {
  return runClaimed(data, run, (claimed, ctx) => {
    if (claimed.kind === 'delta') return runDeltaAnalysis(data, claimed, ctx);
    if (claimed.kind === 'adapter') return runAdapterAnalysis(data, claimed, ctx);
    return runAnalysis(data, claimed.options ?? {}, ctx);
  });
}

async function runAnalysis(
  data: AnalyzeModelData,
  options: Analysis['options'],
  ctx: RunContext,
): Promise<AnalyzeOutcome> {
  const { log } = ctx;
  const cfg = jobsConfig();
  const stats = createHubStats();
  const { source: checkpoint, readSha, conversionPr } = await openHubCheckpoint({
    repo: data.repoId,
    sha: data.sha,
    stats,
    onRetry: (info) => log.warn({ retry: info }, 'retrying Hub request'),
    onNotice: (message) => log.warn(message),
  });
  const bytesOfWeights = checkpoint.files.reduce((s, f) => s + f.size, 0);
  if (bytesOfWeights > cfg.MAX_CHECKPOINT_BYTES) {
    throw new PermanentJobError(
      'too_large',
      `too large: ${(bytesOfWeights / 1e9).toFixed(2)} GB of weights exceeds the cap of ` +
        `${(cfg.MAX_CHECKPOINT_BYTES / 1e9).toFixed(2)} GB (MAX_CHECKPOINT_BYTES)`,
    );
  }
  await updateProgress({
    analysisId: data.analysisId,
    worker: ctx.worker,
    checkpoint: { format: checkpoint.format, sha: readSha, ref: conversionPr?.ref ?? null, files: checkpoint.files },
  });
  const model = await getModelRow({ modelId: data.repoId });
  const stored = await listStoredTensors({ analysisId: data.analysisId });
  const plan = planLayers({
    tensors: checkpoint.tensors,
    options,
    stored,
    config: checkpoint.config ?? (model?.family ? { model_type: model.family } : null),
  });
  const { skipped, layersTotal, analysableBytes, placements } = plan;
  const analysis = await getAnalysis({ analysisId: data.analysisId });
  const optionsKey = analysis?.optionsKey ?? 'default';
  const storeReused = (p: (typeof plan.todo)[number], reused: ReusedLayer, read_s: number) =>
    storeLayer({
      analysisId: data.analysisId,
      layer: {
        ...reused.layer,
        tensor: p.tensor.name,
        ...(p.unit.expert !== null ? { expert: p.unit.expert } : { expert: undefined }),
        name: p.unit.name,
        shape: p.unit.shape,
        dtype: p.tensor.dtype,
        esd: reused.esd,
        reused_from: reused.from,
        timings: { read_s, eigen_s: 0, fit_s: 0 },
      },
      placement: placements.get(p.unit.key)!,
      worker: ctx.worker,
    });
  // Files already analysed under another name (same LFS SHA-256): their layers are copied, nothing is downloaded.
  const reusedByFile = new Map<string, Map<string, ReusedLayer>>();
  for (const f of checkpoint.files) {
    if (f.sha256) reusedByFile.set(f.path, await findLayersByFile({ sha256: f.sha256, optionsKey, excludeAnalysisId: data.analysisId }));
  }
  const todo: typeof plan.todo = [];
  for (const p of plan.todo) {
    const reused = reusedByFile.get(p.tensor.file ?? '')?.get(p.unit.key);
    if (reused) await storeReused(p, reused, 0);
    else todo.push(p);
  }
  if (todo.length < plan.todo.length) log.info({ layers: plan.todo.length - todo.length }, 'layers reused from an identical file');
  const storeSkipped = (unit: (typeof todo)[number]['unit'], reason: string) =>
    storeLayer({ analysisId: data.analysisId, layer: skippedLayer(unit, reason), placement: placements.get(unit.key)!, worker: ctx.worker });
  for (const s of skipped) await storeSkipped(s.unit, s.reason);
  let layersDone = layersTotal - todo.length;
  // Bytes of the layers to analyse (what this analysis downloads in all); those stored earlier count as read.
  const bytesTotal = analysableBytes;
  let bytesRead = analysableBytes - todo.reduce((s, p) => s + p.unit.bytes, 0);
  const previous = analysis?.timings ?? {};
  const timings: Record<string, number> = { read_s: 0, eigen_s: 0, fit_s: 0, store_s: 0, ...previous };
  await updateProgress({ analysisId: data.analysisId, worker: ctx.worker, layersTotal, layersDone, bytesTotal, bytesRead });
  if (todo.length < layersTotal) log.info({ resumeAt: todo[0]?.unit.name, layersDone, layersTotal }, 'resuming');

  const pool = getComputePool();
  // The compute thread and its kernels start while the first tensor is read, not after it.
  if (todo.length > 0) pool.warm();
  // Each read ends with a garbage collection, so its body chunks and raw bytes do not stay resident.
  const read = (p: (typeof todo)[number]) => {
    const t0 = performance.now();
    // BF16 stays as its bits: the kernels convert it as they load it (lib/spectral/bf16-matrix.ts)
    return checkpoint.read(p.tensor, { keepBf16: true, ...(p.unit.slice ? { expert: p.unit.expert! } : {}) }).then((d) => {
      const read_s = (performance.now() - t0) / 1000;
      collectGarbage();
      return { ...d, read_s };
    });
  };
  // Two layers in flight: while layer i is analysed, layer i+1 is read, looked up and submitted to the compute
  // thread, where its Gram starts on the kernel threads as soon as layer i's reduction is done, overlapping layer i's
  // QL and fit (jobs/compute-pool.ts). Results are stored strictly in layer order. At most two tensors are held
  // decoded (layer i in the thread, layer i+1 read or queued there): layer i+2 is read only once layer i is stored.
  // A layer too large to hold beside another (PREFETCH_MAX_BYTES) is not started ahead: it is read when its turn
  // comes, and the next one only once its read is done. Errors surface, in order, when a layer's turn comes.
  type Outcome =
    | { kind: 'read_failed'; err: unknown }
    | { kind: 'cancelled' }
    | { kind: 'reused'; reused: ReusedLayer; read_s: number; lookup_s: number }
    | { kind: 'analysed'; analysed: MatrixAnalysis; contentHash: string; read_s: number; lookup_s: number; c0: number; c1: number }
    | { kind: 'analysis_failed'; err: unknown };
  interface Started {
    j: number;
    /** Resubmissions after a displacement (compute-pool.ts: another task on its thread ran over its budget). */
    tries: number;
    cancelled: boolean;
    /** When the read (and decode) finished, or failed. */
    readAt: Promise<number>;
    /** Settles once this layer was handed to the pool, or will not be. */
    posted: Promise<void>;
    outcome: Promise<Outcome>;
    settled: Outcome | null;
  }
  function startLayer(j: number, tries: number, after: Started | null): Started {
    const p = todo[j];
    let markRead!: (t: number) => void;
    let markPosted!: () => void;
    const s: Started = {
      j,
      tries,
      cancelled: false,
      readAt: new Promise((r) => (markRead = r)),
      posted: new Promise((r) => (markPosted = r)),
      outcome: null as unknown as Promise<Outcome>,
      settled: null,
    };
    const run = async (): Promise<Outcome> => {
      if (after) await after.readAt; // never two reads at once
      if (s.cancelled) return { kind: 'cancelled' };
      let decoded: Awaited<ReturnType<typeof read>>;
      try {
        decoded = await read(p);
      } catch (err) {
        return { kind: 'read_failed', err };
      } finally {
        markRead(performance.now());
      }
      if (s.cancelled) return { kind: 'cancelled' };
      const l0 = performance.now();
      const reused = await findLayerByContent({ contentHash: decoded.contentHash, dtype: p.tensor.dtype, shape: p.unit.shape, optionsKey });
      const lookup_s = (performance.now() - l0) / 1000;
      if (reused) return { kind: 'reused', reused, read_s: decoded.read_s, lookup_s };
      if (after) await after.posted; // submitted in layer order
      if (s.cancelled) return { kind: 'cancelled' };
      const c0 = performance.now();
      const analysing = pool.analyze(decoded.data, decoded.rows, decoded.cols, options);
      markPosted();
      try {
        const analysed = await analysing;
        return { kind: 'analysed', analysed, contentHash: decoded.contentHash, read_s: decoded.read_s, lookup_s, c0, c1: performance.now() };
      } catch (err) {
        return { kind: 'analysis_failed', err };
      }
    };
    s.outcome = run().finally(() => {
      markRead(performance.now());
      markPosted();
    });
    s.outcome.then((o) => (s.settled = o), () => {});
    return s;
  }
  const displaced = (o: Outcome | null) => o?.kind === 'analysis_failed' && isDisplaced(o.err);
  const overlaps = (j: number) =>
    j < todo.length && shouldPrefetch(todo[j].unit, todo[j].tensor.dtype, cfg.PREFETCH_MAX_BYTES);
  const stopping = () => ctx.stop.aborted || Date.now() > ctx.deadline;
  const runStart = performance.now();
  let layersThisRun = 0;
  let ahead: Started | null = null;
  try {
    for (let i = 0; i < todo.length; i++) {
      const { tensor, unit } = todo[i];
      const tlog = log.child({ tensor: unit.name });
      const w0 = performance.now();
      let current: Started = ahead?.j === i ? ahead : startLayer(i, 0, null);
      ahead = null;
      // Lost with a thread replaced for the previous layer's overrun: read it again before the next one starts.
      if (displaced(current.settled)) current = startLayer(i, current.tries + 1, null);
      if (overlaps(i + 1) && !stopping()) ahead = startLayer(i + 1, 0, current);
      let outcome = await current.outcome;
      while (displaced(outcome)) {
        if (current.tries >= MAX_RESUBMISSIONS) throw (outcome as { err: unknown }).err;
        tlog.info('compute thread replaced while it held this layer: reading it again');
        current = startLayer(i, current.tries + 1, null);
        outcome = await current.outcome;
      }
      const wait_s = Math.max(0, (await current.readAt) - w0) / 1000;
      if (outcome.kind === 'cancelled') throw new Error('internal: the current layer was cancelled');
      if (outcome.kind === 'read_failed' || outcome.kind === 'analysis_failed') {
        const failure = classifyError(outcome.err);
        if (failure.kind !== 'bad_tensor') throw outcome.err;
        // NaN/Inf weights or an undecodable dtype in one tensor, or a matrix the spectral core rejects: that layer is
        // recorded with the reason, the rest go on.
        bytesRead += unit.bytes;
        tlog.warn({ reason: failure.message }, 'layer not analysable');
        await storeSkipped(unit, failure.message);
        layersDone++;
        continue;
      }
      bytesRead += unit.bytes;
      if (outcome.kind === 'reused') {
        await storeReused(todo[i], outcome.reused, outcome.read_s);
        layersDone++;
        tlog.debug({ from: outcome.reused.from }, 'identical matrix already analysed: metrics reused');
        await updateProgress({ analysisId: data.analysisId, worker: ctx.worker, layersDone, bytesRead });
        await ctx.onLayerStored?.({ tensor: unit.key, layersDone, layersTotal });
        continue;
      }
      const { analysed, contentHash, read_s } = outcome;
      const layer: LayerResult = {
        ...analysed.metrics,
        tensor: tensor.name,
        ...(unit.expert !== null ? { expert: unit.expert } : {}),
        name: unit.name,
        status: analysed.metrics.status,
        shape: unit.shape,
        dtype: tensor.dtype,
        phase: analysed.phase,
        esd: analysed.esd,
        content_hash: contentHash,
        timings: { read_s, eigen_s: analysed.timings.eigen_s, fit_s: analysed.timings.fit_s },
      };
      const s0 = performance.now();
      await storeLayer({ analysisId: data.analysisId, layer, placement: placements.get(unit.key)!, worker: ctx.worker });
      const s1 = performance.now();
      layersDone++;
      layersThisRun++;
      // Logged as soon as the claim-checked write commits: the progress update below can still find the claim lost
      // (a paused worker woken after a takeover), and the layer is stored all the same.
      tlog.debug({ layersDone, layersTotal, alpha: layer.alpha, store_s: (s1 - s0) / 1000 }, 'layer stored');
      timings.read_s += read_s;
      timings.eigen_s += analysed.timings.eigen_s;
      timings.fit_s += analysed.timings.fit_s;
      timings.store_s += (s1 - s0) / 1000;
      const secondsPerLayer = (s1 - runStart) / 1000 / layersThisRun;
      await updateProgress({ analysisId: data.analysisId, worker: ctx.worker, layersDone, bytesRead, secondsPerLayer, timings });
      const stages: LayerStageTimings = {
        read_s,
        wait_s,
        lookup_s: outcome.lookup_s,
        // the compute thread's round trip from submission (for a layer submitted ahead, its wait for the layer before
        // it on the kernels included, as in its eigen_s)
        compute_s: (outcome.c1 - outcome.c0) / 1000,
        eigen_s: analysed.timings.eigen_s,
        fit_s: analysed.timings.fit_s,
        store_s: (s1 - s0) / 1000,
        progress_s: (performance.now() - s1) / 1000,
      };
      tlog.debug({ stages }, 'layer timings');
      await ctx.onLayerStored?.({ tensor: unit.key, layersDone, layersTotal, timings: stages });

      if (i + 1 < todo.length && stopping()) return 'continued';
    }
  } finally {
    // Returning early (claim lost, abort, deadline) or throwing: the layer started ahead is dropped. Its read or
    // submission does not happen any more; an analysis already submitted finishes in its thread and is discarded
    // (nothing stores it), to be computed again by the next run.
    if (ahead) ahead.cancelled = true;
  }

  const all = await listLayerResults({ analysisId: data.analysisId });
  const analysedLayers = all.filter((l) => l.status !== 'skipped');
  const summary = analysedLayers.length > 0 ? summarize(analysedLayers) : null;
  timings.total_s = (timings.total_s ?? 0) + (performance.now() - runStart) / 1000;
  await markAnalysisDone({ analysisId: data.analysisId, worker: ctx.worker, summary, timings });
  log.info({ layersTotal, summary }, 'analysis done');
  // The page's view and the layers API body, stored now so the first reader reads one row (else that read stores it).
  await storeDoneAnalysisViews(data.analysisId).catch((err) => {
    log.warn({ err: (err as Error).message }, 'could not store the read views');
  });
  return 'done';
}
