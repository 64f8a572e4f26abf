import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, count, eq, isNotNull, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { getDb } from '@/db/client';
import { analyses, layerEsd, layers, revisions } from '@/db/schema';
import { listAnalyses } from '@/db/queries/analyses';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { startInProcessWorkers } from './testing/in-process-workers';
import { tinyLayerCount, writeTinyRepo } from './testing/tiny-repos';

/**
 * The whole ingestion pipeline in one process, as `npm start` runs it: stand-in Hub with generated checkpoints ->
 * discovery (watchlist) -> pg-boss -> analyze-model (range reads, worker-thread spectra) -> a fresh PGlite database.
 */

let hub: StandInHub;
let root: string;
let stopAll: () => Promise<void>;

async function waitForAnalyses(pred: (rows: Awaited<ReturnType<typeof listAnalyses>>) => boolean, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await listAnalyses({ limit: 100 });
    if (pred(rows)) return rows;
    if (Date.now() > until) throw new Error(`timed out; analyses: ${JSON.stringify(rows.map((r) => [r.modelId, r.ref, r.status, r.layersDone, r.layersTotal, r.error]))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-hub-'));
  await writeTinyRepo(root, { id: 'test/tiny-single', seed: 1 });
  await writeTinyRepo(root, { id: 'test/tiny-sharded', seed: 2, shards: 3, dtype: 'BF16', blocks: 3 });
  await writeTinyRepo(root, { id: 'test/tiny-series', seed: 3, branch: 'step1000', title: 'step 1000' });
  await writeTinyRepo(root, { id: 'test/tiny-series', seed: 4, branch: 'step2000', title: 'step 2000' });
  const watchlistFile = path.join(root, 'watchlist.json');
  fs.writeFileSync(
    watchlistFile,
    JSON.stringify(['test/tiny-single', 'test/tiny-sharded', { repoId: 'test/tiny-series', revisions: ['step1000', 'step2000'] }]),
  );
  hub = await startStandInHub({ root });
  stopAll = await startInProcessWorkers({
    DATA_DIR: await freshDataDir('pipeline'),
    HF_ENDPOINT: hub.url,
    WATCHLIST: watchlistFile,
    DISCOVERY_LIMIT: '0',
    DISCOVERY_CRON: 'off',
    JOB_LEASE_SECONDS: '60',
    JOB_RETRY_DELAY_SECONDS: '1',
    LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await stopAll?.();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
});

describe('ingestion pipeline against the stand-in Hub', () => {
  it('analyses every watched (repo, ref) into a fresh database: every layer, ESD, summary, progress 100%', async () => {
    const { discover } = await import('./discover');
    const result = await discover();
    expect(result.failed).toEqual([]);
    expect(result.planned).toBe(4);
    const rows = await waitForAnalyses((r) => r.length === 4 && r.every((a) => a.status === 'done' || a.status === 'failed'));
    const db = await getDb();
    for (const a of rows) {
      expect(a.status, `${a.modelId}@${a.ref}: ${a.error}`).toBe('done');
      const expected = tinyLayerCount({ blocks: a.modelId === 'test/tiny-sharded' ? 3 : 2 });
      expect(a.layersTotal).toBe(expected);
      expect(a.layersDone).toBe(expected);
      expect(a.bytesRead).toBeGreaterThan(0);
      expect(a.bytesRead).toBe(a.bytesTotal);
      expect(a.summary?.layers_analyzed).toBe(expected);
      expect(Number.isFinite(a.summary?.alpha)).toBe(true);
      expect(a.timings?.eigen_s).toBeGreaterThanOrEqual(0);
      const [{ n }] = await db
        .select({ n: count() })
        .from(layers)
        .where(and(eq(layers.analysisId, a.id), ne(layers.status, 'skipped')));
      expect(n).toBe(expected);
      const [{ e }] = await db
        .select({ e: count() })
        .from(layerEsd)
        .innerJoin(layers, eq(layers.id, layerEsd.layerId))
        .where(eq(layers.analysisId, a.id));
      expect(e).toBe(expected);
    }
    // Placement from the tensor names: blocks, roles and relative depth for cross-model alignment.
    const placed = await db
      .select({ tensor: layers.tensor, block: layers.blockIndex, role: layers.role, depth: layers.relativeDepth })
      .from(layers)
      .innerJoin(analyses, eq(analyses.id, layers.analysisId))
      .where(and(eq(analyses.modelId, 'test/tiny-sharded'), isNotNull(layers.blockIndex)));
    const q2 = placed.find((p) => p.tensor === 'model.layers.2.self_attn.q_proj.weight');
    expect(q2).toMatchObject({ block: 2, role: 'q' });
    // The training series: one analysis per step, ordered by the step parsed from the ref.
    const series = await db
      .select({ ref: revisions.ref, step: revisions.step })
      .from(revisions)
      .where(eq(revisions.modelId, 'test/tiny-series'))
      .orderBy(revisions.step);
    expect(series).toEqual([
      { ref: 'step1000', step: 1000 },
      { ref: 'step2000', step: 2000 },
    ]);
  });

  it('a re-run of discovery with nothing new queues nothing and stores nothing twice', async () => {
    const { discover } = await import('./discover');
    const again = await discover();
    expect(again.queued).toBe(0);
    const db = await getDb();
    const [{ n }] = await db.select({ n: count() }).from(analyses);
    expect(n).toBe(4);
  });

  it('a watched repo whose sha changes gets a second analysis while the first stays', async () => {
    const db = await getDb();
    const [before] = await listAnalyses({ modelId: 'test/tiny-single' });
    const newSha = await writeTinyRepo(root, { id: 'test/tiny-single', seed: 11, title: 'retrained' });
    expect(newSha).not.toBe(before.sha);
    const { discover } = await import('./discover');
    const result = await discover();
    expect(result.queued).toBe(1);
    const rows = await waitForAnalyses((r) => r.filter((a) => a.modelId === 'test/tiny-single' && a.status === 'done').length === 2);
    const mine = rows.filter((a) => a.modelId === 'test/tiny-single');
    expect(new Set(mine.map((a) => a.sha))).toEqual(new Set([before.sha, newSha]));
    const [{ n: oldLayers }] = await db
      .select({ n: count() })
      .from(layers)
      .where(and(eq(layers.analysisId, before.id), ne(layers.status, 'skipped')));
    expect(oldLayers).toBe(tinyLayerCount({}));
    const old = mine.find((a) => a.id === before.id)!;
    expect(old.summary).toEqual(before.summary);
  });
});

describe('planning after failures', () => {
  it('an analysis that gave up on a transient failure is tried again by the next planning run; a permanent one is not', async () => {
    const { planRevision } = await import('./plan');
    const { markAnalysisFailed } = await import('@/db/queries/analyses');
    const [series1000] = (await listAnalyses({ modelId: 'test/tiny-series' })).filter((a) => a.ref === 'step1000');
    await markAnalysisFailed({ analysisId: series1000.id, error: 'network: fetch failed (gave up after 7 attempts)', errorKind: 'network' });
    const again = await planRevision({ repoId: 'test/tiny-series', ref: 'step1000' });
    expect(again.analysis).toMatchObject({ id: series1000.id, status: 'queued' });
    await waitForAnalyses((r) => r.find((a) => a.id === series1000.id)?.status === 'done');

    const [series2000] = (await listAnalyses({ modelId: 'test/tiny-series' })).filter((a) => a.ref === 'step2000');
    await markAnalysisFailed({ analysisId: series2000.id, error: 'gated: needs a token with access', errorKind: 'gated' });
    const kept = await planRevision({ repoId: 'test/tiny-series', ref: 'step2000' });
    expect(kept.analysis).toMatchObject({ id: series2000.id, status: 'failed', errorKind: 'gated' });
    expect(kept.jobId).toBeNull();
  });
});
