import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { getDb } from '@/db/client';
import { layers } from '@/db/schema';
import { getAnalysis } from '@/db/queries/analyses';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { startInProcessWorkers } from './testing/in-process-workers';
import { tinyLayerCount, writeTinyRepo } from './testing/tiny-repos';

/**
 * The per-layer time budget of the compute pool inside a real analysis (stand-in Hub, pg-boss, worker threads,
 * PGlite): a layer over its budget is stored as skipped with the reason, its thread is replaced, and the analysis
 * goes on to the next layer and ends done (not failed, not retried). With the budget back to its default the same
 * worker analyses the next repo in full.
 */

let hub: StandInHub;
let root: string;
let stopAll: () => Promise<void>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-budget-'));
  await writeTinyRepo(root, { id: 'budget/over', seed: 21 });
  await writeTinyRepo(root, { id: 'budget/within', seed: 22 });
  hub = await startStandInHub({ root });
  stopAll = await startInProcessWorkers({
    DATA_DIR: await freshDataDir('budget'),
    HF_ENDPOINT: hub.url,
    WATCHLIST: 'none',
    DISCOVERY_LIMIT: '0',
    DISCOVERY_CRON: 'off',
    JOB_LEASE_SECONDS: '60',
    JOB_RETRY_DELAY_SECONDS: '1',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await stopAll?.();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
  delete process.env.LAYER_BUDGET_SECONDS;
  delete process.env.LAYER_BUDGET_FLOPS_PER_SECOND;
});

async function analyse(repoId: string) {
  const { planRevision } = await import('./plan');
  const planned = await planRevision({ repoId });
  const until = Date.now() + 90_000;
  let a = await getAnalysis({ analysisId: planned.analysis.id });
  while (a && a.status !== 'done' && a.status !== 'failed' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    a = await getAnalysis({ analysisId: planned.analysis.id });
  }
  const db = await getDb();
  const rows = await db.select().from(layers).where(eq(layers.analysisId, planned.analysis.id));
  return { analysis: a!, rows };
}

describe('per-layer time budget in the job pipeline', () => {
  it('stores layers over budget as skipped with the reason and finishes the analysis', { timeout: 120_000 }, async () => {
    // 1 ms per layer, whatever its size: no thread can even start in time
    process.env.LAYER_BUDGET_SECONDS = '0.001';
    process.env.LAYER_BUDGET_FLOPS_PER_SECOND = '0';
    const { analysis, rows } = await analyse('budget/over');
    expect(analysis.status, analysis.error ?? '').toBe('done');
    expect(analysis.attempts ?? 1).toBeLessThanOrEqual(1);
    expect(rows).toHaveLength(tinyLayerCount({ blocks: 2 }));
    for (const row of rows) {
      expect(row.status, row.tensor).toBe('skipped');
      expect(row.skipReason, row.tensor).toMatch(/time budget of 0\.0 s for a \d+x\d+ matrix/);
    }
  });

  it('with the default budget the same worker analyses every layer of the next repo', { timeout: 120_000 }, async () => {
    delete process.env.LAYER_BUDGET_SECONDS;
    delete process.env.LAYER_BUDGET_FLOPS_PER_SECOND;
    const { analysis, rows } = await analyse('budget/within');
    expect(analysis.status, analysis.error ?? '').toBe('done');
    expect(rows).toHaveLength(tinyLayerCount({ blocks: 2 }));
    expect(rows.every((r) => r.status !== 'skipped')).toBe(true);
    expect(analysis.summary?.layers_analyzed).toBe(tinyLayerCount({ blocks: 2 }));
  });
});
