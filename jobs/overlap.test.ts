import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { getDb } from '@/db/client';
import { layers } from '@/db/schema';
import { getAnalysis } from '@/db/queries/analyses';
import { ComputeError, ComputePool, DISPLACED } from './compute-pool';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { startInProcessWorkers } from './testing/in-process-workers';
import { tinyLayerCount, writeTinyRepo } from './testing/tiny-repos';

/**
 * Two layers in flight in the job pipeline (jobs/analyze-model.ts): the next layer is submitted to the compute pool
 * while the current one's analysis is still running (so its Gram overlaps the current one's QL and fit in the
 * compute thread), layers are still stored in order, and a layer lost with a compute thread replaced for another
 * layer's overrun is read and submitted again instead of being stored as skipped.
 */

let hub: StandInHub;
let root: string;
let stopAll: () => Promise<void>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-overlap-'));
  await writeTinyRepo(root, { id: 'overlap/ahead', seed: 31 });
  await writeTinyRepo(root, { id: 'overlap/displaced', seed: 32 });
  hub = await startStandInHub({ root });
  stopAll = await startInProcessWorkers({
    DATA_DIR: await freshDataDir('overlap'),
    HF_ENDPOINT: hub.url,
    WATCHLIST: 'none',
    DISCOVERY_LIMIT: '0',
    DISCOVERY_CRON: 'off',
    JOB_LEASE_SECONDS: '60',
    JOB_RETRY_DELAY_SECONDS: '1',
    LOG_LEVEL: 'silent',
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await stopAll?.();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
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
  const rows = await db.select().from(layers).where(eq(layers.analysisId, planned.analysis.id)).orderBy(layers.id);
  return { analysis: a!, rows };
}

describe('two layers in flight in the job pipeline', () => {
  it('submits the next layer before the current one\'s result is back, never more than two, and stores in order', { timeout: 120_000 }, async () => {
    const original = ComputePool.prototype.analyze;
    const events: string[] = [];
    let submitted = 0;
    let outstanding = 0;
    let maxOutstanding = 0;
    const nextSubmitted: Array<() => void> = [];
    vi.spyOn(ComputePool.prototype, 'analyze').mockImplementation(function (this: ComputePool, ...args) {
      const n = submitted++;
      events.push(`submit ${n}`);
      nextSubmitted[n - 1]?.();
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      // Each result is held back until the next layer is submitted (or 5 s pass, for the last one): a pipeline that
      // waited for a result before submitting the next layer would show 'done n' before 'submit n+1'.
      const next = new Promise<void>((resolve) => {
        nextSubmitted[n] = resolve;
        setTimeout(resolve, 5000).unref();
      });
      return original.apply(this, args).then(
        async (r) => {
          await next;
          outstanding--;
          events.push(`done ${n}`);
          return r;
        },
        (e: unknown) => {
          outstanding--;
          throw e;
        },
      );
    });
    const { analysis, rows } = await analyse('overlap/ahead');
    expect(analysis.status, analysis.error ?? '').toBe('done');
    const total = tinyLayerCount({ blocks: 2 });
    expect(rows).toHaveLength(total);
    expect(rows.every((r) => r.status !== 'skipped')).toBe(true);
    expect(submitted).toBe(total);
    for (let n = 0; n + 1 < total; n++) {
      expect(events.indexOf(`submit ${n + 1}`), events.join(', ')).toBeLessThan(events.indexOf(`done ${n}`));
    }
    expect(maxOutstanding).toBe(2);
    // stored in the checkpoint's order
    const ordinals = rows.map((r) => r.ordinal);
    expect(ordinals).toEqual([...ordinals].sort((a, b) => a - b));
  });

  it('reads a layer displaced from its compute thread again and analyses it, instead of skipping it', { timeout: 120_000 }, async () => {
    const original = ComputePool.prototype.analyze;
    let calls = 0;
    vi.spyOn(ComputePool.prototype, 'analyze').mockImplementation(function (this: ComputePool, ...args) {
      // the 4th and the 5th submissions are lost with their thread, as when the layer before ran over its budget
      const n = calls++;
      if (n === 3 || n === 4) return Promise.reject(new ComputeError('the compute thread holding this matrix was replaced', DISPLACED));
      return original.apply(this, args);
    });
    const { analysis, rows } = await analyse('overlap/displaced');
    expect(analysis.status, analysis.error ?? '').toBe('done');
    expect(analysis.attempts ?? 1).toBeLessThanOrEqual(1);
    const total = tinyLayerCount({ blocks: 2 });
    expect(rows).toHaveLength(total);
    expect(rows.every((r) => r.status !== 'skipped'), JSON.stringify(rows.map((r) => r.skipReason))).toBe(true);
    expect(calls).toBe(total + 2);
    expect(analysis.summary?.layers_analyzed).toBe(total);
  });
});
