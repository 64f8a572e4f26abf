/**
 * `npm run bench:pipeline` — a Llama-2-7B-shaped BF16 checkpoint end to end through the job pipeline:
 * stand-in Hub (HTTP range requests) -> download + decode -> compute thread (spectral kernels) -> database.
 *
 * The checkpoint is synthetic (lib/hub-stand-in/synthetic.ts): per block q/k/v/o 4096x4096, gate/up 11008x4096,
 * down 4096x11008 and the two RMSNorm vectors, under Llama's tensor names, sharded at 10 GB as the Hub's
 * Llama-2-7b-hf is (model-0000k-of-0000n.safetensors + index; one model.safetensors when it fits), with the
 * embeddings, final norm and lm_head (32000x4096) behind --embeddings. Its bytes are generated per range request
 * from seeded rows, so nothing of its size is written to disk and every read of a span gives the same bytes.
 *
 * The parent process serves the stand-in Hub and samples the load average; the pipeline runs in a child process
 * (its peak RSS is its own: process.resourceUsage().maxRSS, worker threads included) with a fresh embedded
 * database (PGlite in a temp DATA_DIR): planRevision as `npm run enqueue` does, then the analyze-model job handler
 * as a worker runs it (re-run while it answers 'continued', as the re-queued job would be), with the per-layer
 * stage timings of its onLayerStored hook. Printed per layer: read+decode, wait for the prefetched read, kernel
 * (eigen, fit), the compute thread's round trip, store, progress, and the wall time between layer completions;
 * then totals, the pipeline's overhead (wall − Σ(eigen+fit)) / Σ(eigen+fit), the projection for 32 blocks (224
 * matrices) and the peak RSS. Unless --no-baseline, the child also runs block 0's matrices alone, before and after
 * the pipeline, in a compute thread of their own with nothing else running (read first, then analyse), so that the
 * kernel's own time without the concurrent prefetch is visible too (the machine's speed drifts: the two bracket it).
 *
 * Options: --blocks N (default 2), --embeddings, --no-baseline, --shard-gb G (default 10), --keep (leave the temp
 * folders). Run it alone on the machine (it uses both cores): `flock /tmp/alphaboard-bench.lock npm run bench:pipeline`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitFiles, writeStandInRepo, type RepoFiles } from '@/lib/hub-stand-in/repo-store';
import { startStandInHub } from '@/lib/hub-stand-in/server';
import { syntheticSpecText, type SyntheticTensorSpec } from '@/lib/hub-stand-in/synthetic';
import type { LayerStageTimings } from './claimed-run';
import { nativeKernels, nativeUnavailableReason } from '@/lib/spectral/native/native-kernels';
import { KernelPool } from '@/lib/spectral/wasm/pool';

const REPO = 'bench/llama-2-7b-synthetic';

/** Llama-2-7B's dimensions (tests pass smaller ones). */
export interface LlamaDims {
  hidden: number;
  intermediate: number;
  vocab: number;
}
export const LLAMA_2_7B: LlamaDims = { hidden: 4096, intermediate: 11008, vocab: 32000 };

interface Args {
  blocks: number;
  embeddings: boolean;
  baseline: boolean;
  shardBytes: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { blocks: 2, embeddings: false, baseline: true, shardBytes: 10e9, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--') continue;
    else if (a === '--blocks') args.blocks = Math.floor(num());
    else if (a === '--embeddings') args.embeddings = true;
    else if (a === '--no-baseline') args.baseline = false;
    else if (a === '--shard-gb') args.shardBytes = num() * 1e9;
    else if (a === '--keep') args.keep = true;
    else throw new Error(`unknown option ${a} (--blocks N, --embeddings, --no-baseline, --shard-gb G, --keep)`);
  }
  return args;
}

/** Llama-2-7B's tensors for `blocks` blocks, in the order its checkpoint stores them. */
export function llamaTensors(blocks: number, embeddings: boolean, dims: LlamaDims = LLAMA_2_7B): SyntheticTensorSpec[] {
  const { hidden: HIDDEN, intermediate: INTERMEDIATE, vocab: VOCAB } = dims;
  const t = (name: string, shape: number[]): SyntheticTensorSpec => ({ name, dtype: 'BF16', shape });
  const out: SyntheticTensorSpec[] = [];
  if (embeddings) out.push(t('model.embed_tokens.weight', [VOCAB, HIDDEN]));
  for (let i = 0; i < blocks; i++) {
    const p = `model.layers.${i}`;
    out.push(
      t(`${p}.self_attn.q_proj.weight`, [HIDDEN, HIDDEN]),
      t(`${p}.self_attn.k_proj.weight`, [HIDDEN, HIDDEN]),
      t(`${p}.self_attn.v_proj.weight`, [HIDDEN, HIDDEN]),
      t(`${p}.self_attn.o_proj.weight`, [HIDDEN, HIDDEN]),
      t(`${p}.mlp.gate_proj.weight`, [INTERMEDIATE, HIDDEN]),
      t(`${p}.mlp.up_proj.weight`, [INTERMEDIATE, HIDDEN]),
      t(`${p}.mlp.down_proj.weight`, [HIDDEN, INTERMEDIATE]),
      t(`${p}.input_layernorm.weight`, [HIDDEN]),
      t(`${p}.post_attention_layernorm.weight`, [HIDDEN]),
    );
  }
  if (embeddings) out.push(t('model.norm.weight', [HIDDEN]), t('lm_head.weight', [VOCAB, HIDDEN]));
  return out;
}

/** The repo's files: synthetic shards (spec files) + index + config. */
export function llamaRepoFiles(args: Pick<Args, 'blocks' | 'embeddings' | 'shardBytes'>, dims: LlamaDims = LLAMA_2_7B): RepoFiles {
  const { hidden: HIDDEN, intermediate: INTERMEDIATE, vocab: VOCAB } = dims;
  const tensors = llamaTensors(args.blocks, args.embeddings, dims);
  const bytes = (t: SyntheticTensorSpec) => t.shape.reduce((a, b) => a * b, 1) * 2;
  const shards: SyntheticTensorSpec[][] = [[]];
  let inShard = 0;
  for (const t of tensors) {
    if (inShard > 0 && inShard + bytes(t) > args.shardBytes) {
      shards.push([]);
      inShard = 0;
    }
    shards[shards.length - 1].push(t);
    inShard += bytes(t);
  }
  const files: RepoFiles = {
    'config.json': JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: HIDDEN,
      intermediate_size: INTERMEDIATE,
      num_attention_heads: 32,
      num_key_value_heads: 32,
      num_hidden_layers: args.blocks,
      vocab_size: VOCAB,
      torch_dtype: 'bfloat16',
      tie_word_embeddings: false,
    }),
    'README.md': '---\nlicense: other\ntags:\n- synthetic\n---\n# Llama-2-7B-shaped synthetic checkpoint (benchmark)\n',
  };
  const spec = (ts: SyntheticTensorSpec[]) => syntheticSpecText({ kind: 'safetensors', metadata: { format: 'pt' }, tensors: ts });
  if (shards.length === 1) {
    files['model.safetensors.synthetic.json'] = spec(shards[0]);
  } else {
    const n = String(shards.length).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    shards.forEach((ts, k) => {
      const name = `model-${String(k + 1).padStart(5, '0')}-of-${n}.safetensors`;
      files[`${name}.synthetic.json`] = spec(ts);
      for (const t of ts) weightMap[t.name] = name;
    });
    files['model.safetensors.index.json'] = JSON.stringify({
      metadata: { total_size: tensors.reduce((s, t) => s + bytes(t), 0) },
      weight_map: weightMap,
    });
  }
  return files;
}

// --- child: the pipeline ------------------------------------------------------------------------------------------

interface LayerRow {
  tensor: string;
  stages: LayerStageTimings;
  /** Seconds since the previous layer completed (the first: since the job started). */
  wall_s: number;
  /** The process's peak RSS so far, MB. */
  maxRssMb: number;
  /** RSS and the main thread's ArrayBuffers (prefetched tensor, HTTP bodies) when the layer was stored, MB. */
  rssMb: number;
  arrayBuffersMb: number;
}

interface ChildReport {
  layers: LayerRow[];
  jobWall_s: number;
  planWall_s: number;
  outcomes: string[];
  /** Block 0 analysed alone before the pipeline, and (`after`) again after it. */
  baseline: Array<BaselineRow & { after?: BaselineRow }>;
  /** Peak RSS of the process when the job ended (before the baseline pass after it). */
  maxRssMb: number;
  /** Peak RSS before the job started (planning and the baseline pass before it). */
  beforeMaxRssMb: number;
  cpu_s: number;
  status: string;
  layersDone: number;
  layersTotal: number;
  analysisTimings: Record<string, number>;
}

interface BaselineRow {
  tensor: string;
  read_s: number;
  eigen_s: number;
  fit_s: number;
  compute_s: number;
}

/** Block 0's matrices one at a time with nothing running beside them: read (+ decode) first, then analyse. */
async function baselinePass(repo: string, sha: string, options: import('@/lib/types').AnalysisOptions): Promise<BaselineRow[]> {
  const { openHubCheckpoint } = await import('@/lib/checkpoint/hub');
  const { ComputePool } = await import('./compute-pool');
  const { collectGarbage } = await import('./memory');
  const { source } = await openHubCheckpoint({ repo, sha });
  const pool = new ComputePool(1);
  const rows: BaselineRow[] = [];
  try {
    pool.warm();
    for (const t of source.tensors.filter((x) => x.name.startsWith('model.layers.0.') && x.shape.length === 2)) {
      const r0 = performance.now();
      const d = await source.read(t, { keepBf16: true }); // as the pipeline reads it
      collectGarbage();
      const r1 = performance.now();
      const a = await pool.analyze(d.data, d.rows, d.cols, options);
      const r2 = performance.now();
      rows.push({ tensor: t.name, read_s: (r1 - r0) / 1000, eigen_s: a.timings.eigen_s, fit_s: a.timings.fit_s, compute_s: (r2 - r1) / 1000 });
    }
  } finally {
    await pool.close();
  }
  return rows;
}

async function child(): Promise<void> {
  const { freshDataDir } = await import('./testing/fresh-db');
  process.env.DATA_DIR = await freshDataDir('bench-pipeline');
  delete process.env.DATABASE_URL;
  const { getQueue, stopQueue } = await import('./queue');
  const { planRevision } = await import('./plan');
  const { analyzeModel } = await import('./analyze-model');
  const { getAnalysis } = await import('@/db/queries/analyses');
  const { closeComputePool } = await import('./compute-pool');
  const { closeDb } = await import('@/db/client');

  const cpu0 = process.cpuUsage();
  await getQueue({ supervise: false, schedule: false });
  const p0 = performance.now();
  const planned = await planRevision({ repoId: REPO, source: 'admin' });
  const planWall_s = (performance.now() - p0) / 1000;
  const data = { repoId: planned.repoId, sha: planned.sha, ref: planned.ref, analysisId: planned.analysis.id, optionsKey: planned.analysis.optionsKey };

  // Block 0 alone, before and after the pipeline (the machine's speed drifts): its own compute thread, so the
  // pipeline below still starts cold.
  let baselineBefore: ChildReport['baseline'] = [];
  if (process.env.BENCH_BASELINE === '1') {
    baselineBefore = await baselinePass(data.repoId, data.sha, planned.analysis.options ?? {});
    process.stderr.write('  baseline before: done\n');
  }
  const beforeMaxRssMb = process.resourceUsage().maxRSS / 1024;

  const layers: LayerRow[] = [];
  const outcomes: string[] = [];
  const j0 = performance.now();
  let last = j0;
  for (let attempt = 0; attempt < 100; attempt++) {
    const outcome = await analyzeModel(data, {
      onLayerStored: (info) => {
        const now = performance.now();
        if (info.timings) {
          const mem = process.memoryUsage();
          layers.push({
            tensor: info.tensor,
            stages: info.timings,
            wall_s: (now - last) / 1000,
            maxRssMb: process.resourceUsage().maxRSS / 1024,
            rssMb: mem.rss / 2 ** 20,
            arrayBuffersMb: mem.arrayBuffers / 2 ** 20,
          });
        }
        last = now;
        process.stderr.write(`\r  ${info.layersDone}/${info.layersTotal} layers stored  `);
      },
    });
    outcomes.push(outcome);
    if (outcome !== 'continued') break;
  }
  const jobWall_s = (performance.now() - j0) / 1000;
  const pipelineMaxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stderr.write('\n');
  const analysis = await getAnalysis({ analysisId: data.analysisId });

  let baselineAfter: ChildReport['baseline'] = [];
  if (process.env.BENCH_BASELINE === '1') baselineAfter = await baselinePass(data.repoId, data.sha, planned.analysis.options ?? {});
  const cpu = process.cpuUsage(cpu0);
  await stopQueue(2000).catch(() => {});
  await closeComputePool();
  await closeDb();
  const report: ChildReport = {
    layers,
    jobWall_s,
    planWall_s,
    outcomes,
    baseline: baselineBefore.map((b, i) => ({ ...b, after: baselineAfter[i] })),
    maxRssMb: pipelineMaxRssMb,
    beforeMaxRssMb,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    status: analysis?.status ?? 'missing',
    layersDone: analysis?.layersDone ?? 0,
    layersTotal: analysis?.layersTotal ?? 0,
    analysisTimings: (analysis?.timings ?? {}) as Record<string, number>,
  };
  fs.writeFileSync(process.env.BENCH_REPORT!, JSON.stringify(report));
}

// --- parent: the Hub, the child, the report ------------------------------------------------------------------------

const fmt = (x: number, d = 2) => x.toFixed(d);

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells
    .map((r, i) => {
      const line = r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

const short = (tensor: string) => tensor.replace(/^model\.layers\./, 'L').replace(/\.weight$/, '').replace(/(self_attn|mlp)\./, '');

async function parent(args: Args): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-bench-hub-'));
  const files = llamaRepoFiles(args);
  await writeStandInRepo(root, { id: REPO, tags: ['synthetic'] });
  await commitFiles(root, REPO, { files, title: 'Upload synthetic Llama-2-7B-shaped checkpoint', date: '2025-01-01T00:00:00.000Z' });
  const hub = await startStandInHub({ root });
  const shards = Object.keys(files).filter((f) => f.endsWith('.synthetic.json')).length;
  const matrices = llamaTensors(args.blocks, args.embeddings).filter((t) => t.shape.length === 2);
  const gb = matrices.reduce((s, t) => s + t.shape[0] * t.shape[1] * 2, 0) / 1e9;
  console.log(
    `Llama-2-7B-shaped BF16 checkpoint, ${args.blocks} block(s)${args.embeddings ? ' + embeddings/lm_head' : ''}: ${matrices.length} matrices, ` +
      `${fmt(gb, 2)} GB, ${shards} shard(s), generated per range request by the stand-in Hub at ${hub.url}`,
  );
  console.log(`host: ${os.availableParallelism()} cores, ${process.version}; load average before: ${os.loadavg().map((x) => fmt(x)).join(' ')}`);
  // the job's child process makes the same choice (same checkout, same environment)
  {
    const pool = new KernelPool();
    console.log(`kernels: Gram ${pool.gramKernel}, dense -> band ${pool.reductionKernel}${nativeKernels() ? ' (native: lib/spectral/native; ALPHABOARD_NATIVE=0 for WebAssembly only)' : ` (native kernels not used: ${nativeUnavailableReason()})`}`);
  }

  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]), 5000);
  const hubCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const self = fileURLToPath(import.meta.url);
  const reportFile = path.join(root, 'report.json');
  const code = await new Promise<number>((resolve, reject) => {
    const c = spawn(process.execPath, [...process.execArgv, self, '--child'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        HF_ENDPOINT: hub.url,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        WATCHLIST: 'none',
        DISCOVERY_CRON: 'off',
        BENCH_BASELINE: args.baseline ? '1' : '0',
        BENCH_REPORT: reportFile,
      },
    });
    c.on('error', reject);
    c.on('close', (code) => resolve(code ?? 1));
  });
  const wall = (performance.now() - t0) / 1000;
  const hubCpu = process.cpuUsage(hubCpu0);
  clearInterval(sampler);
  const hubStats = hub.stats();
  await hub.close();
  const report = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8') : null;
  if (!args.keep) fs.rmSync(root, { recursive: true, force: true });
  if (code !== 0 || !report) throw new Error(`pipeline child exited with code ${code}`);
  const r = JSON.parse(report) as ChildReport;

  const sum = (f: (l: LayerRow) => number, ls = r.layers) => ls.reduce((s, l) => s + f(l), 0);
  console.log(
    `\nanalysis ${r.status}: ${r.layersDone}/${r.layersTotal} layers (job runs: ${r.outcomes.join(', ')}); planning (model info, rows) ${fmt(r.planWall_s)} s`,
  );
  console.log(
    table(
      ['layer', 'read+decode s', 'wait s', 'lookup s', 'eigen s', 'fit s', 'compute s', 'store s', 'progress s', 'wall s', 'peak RSS MB', 'RSS / buffers MB'],
      r.layers.map((l) => [
        short(l.tensor),
        fmt(l.stages.read_s),
        fmt(l.stages.wait_s, 3),
        fmt(l.stages.lookup_s, 3),
        fmt(l.stages.eigen_s),
        fmt(l.stages.fit_s, 3),
        fmt(l.stages.compute_s),
        fmt(l.stages.store_s, 3),
        fmt(l.stages.progress_s, 3),
        fmt(l.wall_s),
        fmt(l.maxRssMb, 0),
        `${fmt(l.rssMb, 0)} / ${fmt(l.arrayBuffersMb, 0)}`,
      ]),
    ),
  );
  const kernel = sum((l) => l.stages.eigen_s + l.stages.fit_s);
  const layerWall = sum((l) => l.wall_s);
  const totals = {
    read: sum((l) => l.stages.read_s),
    wait: sum((l) => l.stages.wait_s),
    lookup: sum((l) => l.stages.lookup_s),
    eigen: sum((l) => l.stages.eigen_s),
    fit: sum((l) => l.stages.fit_s),
    compute: sum((l) => l.stages.compute_s),
    store: sum((l) => l.stages.store_s),
    progress: sum((l) => l.stages.progress_s),
  };
  console.log(
    `totals over ${r.layers.length} matrices: read+decode ${fmt(totals.read)} s (overlapped; waited ${fmt(totals.wait)} s), lookup ${fmt(totals.lookup)} s, ` +
      `eigen ${fmt(totals.eigen)} s, fit ${fmt(totals.fit)} s, compute round trip ${fmt(totals.compute)} s ` +
      `(thread hand-off, ESD, clone: ${fmt(totals.compute - totals.eigen - totals.fit)} s), store ${fmt(totals.store)} s, progress ${fmt(totals.progress)} s`,
  );
  const overhead = (r.jobWall_s - kernel) / kernel;
  const steady = r.layers.slice(1);
  const steadyKernel = sum((l) => l.stages.eigen_s + l.stages.fit_s, steady);
  const steadyOverhead = (sum((l) => l.wall_s, steady) - steadyKernel) / steadyKernel;
  console.log(
    `job wall ${fmt(r.jobWall_s)} s (layer completions ${fmt(layerWall)} s, then summary + views ${fmt(r.jobWall_s - layerWall)} s) vs Σ(eigen+fit) ${fmt(kernel)} s: ` +
      `pipeline overhead ${fmt(overhead * 100, 1)}% (target <= 5%); from the 2nd layer on ${fmt(steadyOverhead * 100, 1)}%`,
  );
  const perBlock = args.blocks > 0 ? (layerWall - (args.embeddings ? sum((l) => l.wall_s, r.layers.filter((l) => !l.tensor.startsWith('model.layers.'))) : 0)) / args.blocks : 0;
  const projected = perBlock * 32 + (r.jobWall_s - layerWall) + (r.layers[0]?.wall_s ?? 0) - (r.layers[0] ? r.layers[0].stages.eigen_s + r.layers[0].stages.fit_s : 0);
  console.log(
    `per block ${fmt(perBlock, 1)} s -> projected 32 blocks (224 matrices, no embeddings): ${fmt(projected / 60, 1)} min (target <= 20 min)`,
  );
  console.log(
    `child (pipeline) peak RSS ${fmt(r.maxRssMb, 0)} MB at the end of the job (bound 1536 MB; ${fmt(r.beforeMaxRssMb, 0)} MB before the job started); child CPU ${fmt(r.cpu_s, 1)} s = ${fmt(r.cpu_s / wall, 2)} cores over its ${fmt(wall, 1)} s; ` +
      `stand-in Hub CPU ${fmt((hubCpu.user + hubCpu.system) / 1e6, 1)} s for ${fmt(hubStats.bytesSent / 1e9, 2)} GB in ${hubStats.rangeRequests} range requests`,
  );
  if (loads.length > 0) {
    const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    console.log(`load average (1 min) during the run: min ${fmt(Math.min(...loads))}, mean ${fmt(mean)}, max ${fmt(Math.max(...loads))} (${loads.length} samples)`);
  }
  if (r.baseline.length > 0) {
    console.log('\nbaseline: block 0 alone (read first, then analysed with nothing beside it), before and after the pipeline:');
    const pipe0 = r.layers.filter((l) => l.tensor.startsWith('model.layers.0.'));
    const k = (b?: BaselineRow) => (b ? b.eigen_s + b.fit_s : NaN);
    const mean = (b: BaselineRow & { after?: BaselineRow }) => (b.after ? (k(b) + k(b.after)) / 2 : k(b));
    console.log(
      table(
        ['layer', 'read+decode s', 'eigen+fit s before', 'after', 'in the pipeline', 'pipeline / mean alone'],
        r.baseline.map((b) => {
          const p = pipe0.find((l) => l.tensor === b.tensor);
          const inPipe = p ? p.stages.eigen_s + p.stages.fit_s : NaN;
          return [short(b.tensor), fmt(b.read_s), fmt(k(b)), fmt(k(b.after)), fmt(inPipe), fmt(inPipe / mean(b), 3)];
        }),
      ),
    );
    const base = r.baseline.reduce((s, b) => s + mean(b), 0);
    const inPipe = sum((l) => l.stages.eigen_s + l.stages.fit_s, pipe0.filter((l) => r.baseline.some((b) => b.tensor === l.tensor)));
    const pipeWall = sum((l) => l.wall_s, pipe0);
    const ratios = r.baseline
      .map((b) => {
        const p = pipe0.find((l) => l.tensor === b.tensor);
        return p ? (p.stages.eigen_s + p.stages.fit_s) / mean(b) : NaN;
      })
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const median = ratios.length ? ratios[Math.floor((ratios.length - 1) / 2)] : NaN;
    console.log(
      `block 0: Σ(eigen+fit) alone ${fmt(base)} s (mean of before/after), in the pipeline ${fmt(inPipe)} s (${fmt(((inPipe - base) / base) * 100, 1)}%; ` +
        `median per layer ${fmt((median - 1) * 100, 1)}%); pipeline wall for block 0 ${fmt(pipeWall)} s = ${fmt(((pipeWall - base) / base) * 100, 1)}% over the kernel alone ` +
        `(includes the first, unprefetched read and the cold start)`,
    );
  }
}

const argv = process.argv.slice(2);
const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain && argv[0] === '--child') {
  child().then(
    () => process.exit(0),
    (err) => {
      console.error(`bench:pipeline child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
} else if (isMain) {
  parent(parseArgs(argv)).then(
    () => process.exit(0),
    (err) => {
      console.error(`bench:pipeline: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
