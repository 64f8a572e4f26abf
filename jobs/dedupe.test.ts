import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { getDb } from '@/db/client';
import { analyses, layers } from '@/db/schema';
import { listAnalyses } from '@/db/queries/analyses';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { startInProcessWorkers } from './testing/in-process-workers';
import { tinyLayerCount, writeTinyRepo } from './testing/tiny-repos';

/**
 * No tensor analysed twice: a byte-identical mirror is recognised by its files' SHA-256 before any tensor is
 * downloaded, a re-sharded copy by each matrix's content hash before the spectral core runs, and both report where
 * their metrics came from.
 */

let hub: StandInHub;
let root: string;
let stopAll: () => Promise<void>;

async function analyse(repoId: string) {
  const { enqueueRepo } = await import('./enqueue-repo');
  await enqueueRepo({ repoId });
  const until = Date.now() + 90_000;
  for (;;) {
    const row = (await listAnalyses({ limit: 100 })).find((a) => a.modelId === repoId);
    if (row && (row.status === 'done' || row.status === 'failed')) return row;
    if (Date.now() > until) throw new Error(`timed out waiting for ${repoId}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function layersOf(analysisId: number) {
  const db = await getDb();
  return db.select().from(layers).where(eq(layers.analysisId, analysisId)).orderBy(layers.ordinal);
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-dedupe-'));
  await writeTinyRepo(root, { id: 'test/original', seed: 11 });
  await writeTinyRepo(root, { id: 'test/mirror', seed: 11 });
  await writeTinyRepo(root, { id: 'test/resharded', seed: 11, shards: 2 });
  hub = await startStandInHub({ root });
  stopAll = await startInProcessWorkers({
    DATA_DIR: await freshDataDir('dedupe'),
    HF_ENDPOINT: hub.url,
    WATCHLIST: 'none',
    DISCOVERY_LIMIT: '0',
    DISCOVERY_CRON: 'off',
    LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await stopAll?.();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
});

describe('identical weights are analysed once', () => {
  it('original analysed; mirror copies every layer without downloading a tensor; re-shard reuses by content', async () => {
    const original = await analyse('test/original');
    expect(original.status, original.error ?? '').toBe('done');
    const origLayers = (await layersOf(original.id)).filter((l) => l.status !== 'skipped');
    expect(origLayers).toHaveLength(tinyLayerCount({ blocks: 2 }));
    expect(origLayers.every((l) => /^[0-9a-f]{16}$/.test(l.contentHash ?? '') && l.reusedFrom === null)).toBe(true);

    hub.resetStats();
    const mirror = await analyse('test/mirror');
    expect(mirror.status, mirror.error ?? '').toBe('done');
    const mirrorLayers = (await layersOf(mirror.id)).filter((l) => l.status !== 'skipped');
    expect(mirrorLayers).toHaveLength(origLayers.length);
    const sent = hub.stats().bytesSent;
    const weightBytes = origLayers.reduce((s, l) => s + (l.shape as number[]).reduce((a, b) => a * b, 1) * 4, 0);
    // Only listings, model info and the safetensors header travelled: far less than one tensor's worth of weights.
    expect(sent).toBeLessThan(weightBytes / 4);
    for (const l of mirrorLayers) {
      const o = origLayers.find((x) => x.tensor === l.tensor)!;
      expect(l.reusedFrom).toBe(`test/original ${o.tensor}`);
      expect(l.eigenSeconds).toBe(0);
      expect([l.alpha, l.D, l.lambda_max, l.contentHash]).toEqual([o.alpha, o.D, o.lambda_max, o.contentHash]);
    }
    expect(mirror.summary?.alpha).toBe(original.summary?.alpha);

    const resharded = await analyse('test/resharded');
    expect(resharded.status, resharded.error ?? '').toBe('done');
    const reshardedLayers = (await layersOf(resharded.id)).filter((l) => l.status !== 'skipped');
    expect(reshardedLayers).toHaveLength(origLayers.length);
    for (const l of reshardedLayers) {
      expect(l.reusedFrom).toMatch(/^test\/(original|mirror) /);
      expect(l.eigenSeconds).toBe(0);
      expect(l.readSeconds).toBeGreaterThan(0);
    }
    const db = await getDb();
    const [row] = await db.select({ checkpoint: analyses.checkpoint }).from(analyses).where(eq(analyses.id, resharded.id));
    expect(row.checkpoint?.format).toBe('safetensors');
    expect(row.checkpoint?.files.map((f) => f.path)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(row.checkpoint?.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
  });
});
