import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { commitFiles, writeStandInRepo } from '@/lib/hub-stand-in/repo-store';
import { syntheticFile } from '@/lib/hub-stand-in/synthetic';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { LLAMA_2_7B, llamaRepoFiles, llamaTensors } from './bench-pipeline';
import type { LayerStoredInfo } from './claimed-run';

/**
 * What `npm run bench:pipeline` relies on: the Llama-2-7B layout it serves (names, shapes, shards, parameter
 * count), and the analyze-model job reporting each analysed layer's stage timings through onLayerStored — here on a
 * small synthetic Llama served by the stand-in Hub, the same path the benchmark takes at 7B scale.
 */

vi.mock('server-only', () => ({}));

describe('the benchmark checkpoint layout', () => {
  it('is Llama-2-7B: 6,738,415,616 parameters in two shards of at most 10 GB with an index', () => {
    const tensors = llamaTensors(32, true);
    expect(tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0)).toBe(6_738_415_616);
    expect(tensors.filter((t) => t.shape.length === 2 && t.name.startsWith('model.layers.')).length).toBe(224);
    expect(tensors.map((t) => t.name)).toContain('model.layers.31.mlp.down_proj.weight');
    expect(tensors.find((t) => t.name === 'model.layers.0.mlp.down_proj.weight')?.shape).toEqual([4096, 11008]);
    const files = llamaRepoFiles({ blocks: 32, embeddings: true, shardBytes: 10e9 });
    const shards = Object.keys(files).filter((f) => f.endsWith('.synthetic.json')).sort();
    expect(shards).toEqual(['model-00001-of-00002.safetensors.synthetic.json', 'model-00002-of-00002.safetensors.synthetic.json']);
    const sizes = shards.map((f) => syntheticFile(String(files[f])).size);
    expect(sizes[0]).toBeLessThanOrEqual(10e9);
    expect(sizes[0] + sizes[1]).toBeGreaterThan(13.4e9);
    const index = JSON.parse(String(files['model.safetensors.index.json'])) as { weight_map: Record<string, string> };
    expect(Object.keys(index.weight_map).length).toBe(tensors.length);
    expect(JSON.parse(String(files['config.json']))).toMatchObject({ model_type: 'llama', hidden_size: LLAMA_2_7B.hidden, num_hidden_layers: 32 });
    // two blocks fit one file
    expect(Object.keys(llamaRepoFiles({ blocks: 2, embeddings: false, shardBytes: 10e9 }))).toContain('model.safetensors.synthetic.json');
  });
});

describe('per-layer stage timings through the job', () => {
  let hub: StandInHub;
  let root: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-bench-pipeline-'));
    await writeStandInRepo(root, { id: 'bench/llama-small' });
    await commitFiles(root, 'bench/llama-small', {
      files: llamaRepoFiles({ blocks: 2, embeddings: true, shardBytes: 40_000 }, { hidden: 64, intermediate: 96, vocab: 128 }),
      date: '2025-01-01T00:00:00.000Z',
    });
    await writeStandInRepo(root, { id: 'bench/llama-other' });
    await commitFiles(root, 'bench/llama-other', {
      files: llamaRepoFiles({ blocks: 1, embeddings: true, shardBytes: 1e9 }, { hidden: 48, intermediate: 80, vocab: 96 }),
      date: '2025-01-01T00:00:00.000Z',
    });
    // every response 30 ms late, so that a read's time is visible in the timings
    hub = await startStandInHub({ root, faults: { latencyMs: 30, scope: 'all' } });
    Object.assign(process.env, {
      DATA_DIR: await freshDataDir('bench-pipeline-test'),
      HF_ENDPOINT: hub.url,
      WATCHLIST: 'none',
      DISCOVERY_CRON: 'off',
      LOG_LEVEL: 'silent',
    });
    delete process.env.DATABASE_URL;
  });

  afterAll(async () => {
    const { stopQueue } = await import('./queue');
    const { closeComputePool } = await import('./compute-pool');
    const { closeDb } = await import('@/db/client');
    await stopQueue(5000);
    await closeComputePool();
    await closeDb();
    await hub?.close();
    fs.rmSync(root, { recursive: true, force: true });
    removeFreshDataDirs();
  });

  it('reports read, wait, lookup, compute (eigen + fit), store and progress seconds for every analysed layer', async () => {
    const { getQueue } = await import('./queue');
    const { planRevision } = await import('./plan');
    const { analyzeModel } = await import('./analyze-model');
    const { getAnalysis } = await import('@/db/queries/analyses');
    await getQueue({ supervise: false, schedule: false });
    const planned = await planRevision({ repoId: 'bench/llama-small', source: 'admin' });
    const seen: LayerStoredInfo[] = [];
    const outcome = await analyzeModel(
      { repoId: planned.repoId, sha: planned.sha, ref: planned.ref, analysisId: planned.analysis.id, optionsKey: planned.analysis.optionsKey },
      { onLayerStored: (info) => void seen.push(info) },
    );
    expect(outcome).toBe('done');
    const analysis = await getAnalysis({ analysisId: planned.analysis.id });
    expect(analysis?.status).toBe('done');
    // 2 blocks x 7 matrices + embeddings + lm_head, read from 3+ synthetic shards
    expect(seen.length).toBe(16);
    expect(seen.map((s) => s.layersDone)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const { tensor, timings } of seen) {
      expect(timings, tensor).toBeDefined();
      for (const [k, v] of Object.entries(timings!)) {
        expect(Number.isFinite(v) && v >= 0, `${tensor} ${k} = ${v}`).toBe(true);
      }
      // the compute thread's round trip contains the kernel's own time
      expect(timings!.compute_s + 1e-3).toBeGreaterThanOrEqual(timings!.eigen_s + timings!.fit_s);
      expect(timings!.read_s).toBeGreaterThan(0);
    }
    // the first read is not prefetched: the job waits for all of it
    expect(seen[0].timings!.wait_s).toBeGreaterThan(0);
  });

  it('reads a tensor above PREFETCH_MAX_BYTES only when its turn comes (here: every one), and still analyses them all', async () => {
    const { planRevision } = await import('./plan');
    const { analyzeModel } = await import('./analyze-model');
    const planned = await planRevision({ repoId: 'bench/llama-other', source: 'admin' });
    const seen: LayerStoredInfo[] = [];
    process.env.PREFETCH_MAX_BYTES = '0';
    try {
      const outcome = await analyzeModel(
        { repoId: planned.repoId, sha: planned.sha, ref: planned.ref, analysisId: planned.analysis.id, optionsKey: planned.analysis.optionsKey },
        { onLayerStored: (info) => void seen.push(info) },
      );
      expect(outcome).toBe('done');
    } finally {
      delete process.env.PREFETCH_MAX_BYTES;
    }
    expect(seen.length).toBe(9);
    for (const { tensor, timings } of seen) {
      // nothing read ahead: the job waited for each whole read (>= the 30 ms latency)
      expect(timings!.wait_s, tensor).toBeGreaterThanOrEqual(0.025);
      expect(timings!.wait_s + 0.005, tensor).toBeGreaterThanOrEqual(timings!.read_s);
    }
  });
});
