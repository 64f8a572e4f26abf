import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, count, countDistinct, eq, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultConfig } from '@/lib/hub-stand-in/faults';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { getDb } from '@/db/client';
import { layers } from '@/db/schema';
import { getAnalysis } from '@/db/queries/analyses';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { startInProcessWorkers } from './testing/in-process-workers';
import { tinyLayerCount, writeTinyRepo } from './testing/tiny-repos';

/**
 * Faults from the stand-in Hub during real analyses (issue "ingestion at Hub scale"): each scenario analyses its own
 * tiny repo while the Hub misbehaves, and must end either done with every layer exactly once, or failed with a clear
 * reason. A summary table of injected faults vs outcomes is printed at the end. (The database restarting between two
 * layers needs a real server: see scale-out.test.ts.)
 */

interface Outcome {
  fault: string;
  injected: string;
  status: string;
  layers: string;
  duplicates: number;
  attempts: number;
  reason: string;
}

const outcomes: Outcome[] = [];
let hub: StandInHub;
let root: string;
let stopAll: () => Promise<void>;
let seed = 100;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-faults-'));
  hub = await startStandInHub({ root });
  stopAll = await startInProcessWorkers({
    DATA_DIR: await freshDataDir('faults'),
    HF_ENDPOINT: hub.url,
    HF_HUB_TIMEOUT_MS: '1500',
    HF_HUB_RETRIES: '3',
    WATCHLIST: 'none',
    DISCOVERY_LIMIT: '0',
    DISCOVERY_CRON: 'off',
    JOB_LEASE_SECONDS: '60',
    JOB_RETRY_DELAY_SECONDS: '1',
    JOB_RETRY_LIMIT: '4',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await stopAll?.();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
  const cols: Array<keyof Outcome> = ['fault', 'injected', 'status', 'layers', 'duplicates', 'attempts', 'reason'];
  const width = (c: keyof Outcome) => Math.max(c.length, ...outcomes.map((o) => String(o[c]).length));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width(cols[i]))).join(' | ')} |`;
  console.log(
    ['\nInjected faults vs outcomes (stand-in Hub):', line(cols), line(cols.map((c) => '-'.repeat(width(c)))),
      ...outcomes.map((o) => line(cols.map((c) => String(o[c]))))].join('\n'),
  );
});

async function scenario(
  name: string,
  faults: FaultConfig,
  opts: { blocks?: number; repoFaults?: (repo: string) => FaultConfig; nanTensor?: string } = {},
) {
  const repo = `faults/${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  const blocks = opts.blocks ?? 2;
  await writeTinyRepo(root, { id: repo, blocks, seed: seed++, nanTensor: opts.nanTensor });
  const { planRevision } = await import('./plan');
  hub.resetStats();
  hub.setFaults({ ...faults, ...opts.repoFaults?.(repo) });
  const planned = await planRevision({ repoId: repo });
  const until = Date.now() + 90_000;
  let a = await getAnalysis({ analysisId: planned.analysis.id });
  while (a && a.status !== 'done' && a.status !== 'failed' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    a = await getAnalysis({ analysisId: planned.analysis.id });
  }
  const stats = hub.stats();
  hub.setFaults({});
  const db = await getDb();
  const [{ n, distinct }] = await db
    .select({ n: count(), distinct: countDistinct(layers.tensor) })
    .from(layers)
    .where(and(eq(layers.analysisId, planned.analysis.id), ne(layers.status, 'skipped')));
  const injected = Object.entries(stats.injected)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} x${v}`)
    .join(', ');
  const total = tinyLayerCount({ blocks });
  const outcome: Outcome = {
    fault: name,
    injected: injected || 'none',
    status: a?.status ?? 'missing',
    layers: `${n}/${total}`,
    duplicates: n - distinct,
    attempts: a?.attempts ?? 0,
    reason: (a?.error ?? '').length > 110 ? `${a!.error!.slice(0, 107)}...` : a?.error ?? '',
  };
  outcomes.push(outcome);
  return { analysis: a!, stored: n, total, outcome, stats };
}

describe('faults injected by the stand-in Hub', () => {
  const finishesCorrectly = async (name: string, faults: FaultConfig, minInjected = 1) => {
    const r = await scenario(name, faults);
    expect(r.analysis.status, r.analysis.error ?? '').toBe('done');
    expect(r.stored).toBe(r.total);
    expect(r.outcome.duplicates).toBe(0);
    expect(r.analysis.summary?.layers_analyzed).toBe(r.total);
    const injected = Object.values(r.stats.injected).reduce((s, v) => s + v, 0);
    expect(injected).toBeGreaterThanOrEqual(minInjected);
  };

  it('connection dropped mid-body', () => finishesCorrectly('dropped connection mid-body', { next: ['drop_connection', 'drop_connection', 'drop_connection'] }, 3));
  it('10% of range requests failing', () => finishesCorrectly('10% of ranges fail (500)', { rates: { server_error: 0.1 }, seed: 7 }, 1));
  it('500 from the Hub', () => finishesCorrectly('HTTP 500', { next: ['server_error', 'server_error'] }, 2));
  it('429 with Retry-After', () => finishesCorrectly('429 + Retry-After: 1', { next: ['rate_limited', 'rate_limited'], retryAfter: 1 }, 2));
  it('truncated bodies', () => finishesCorrectly('truncated bodies', { next: ['short_body', 'short_body', 'short_body'] }, 3));
  it('slow Hub (requests time out)', () => finishesCorrectly('slow Hub (4 s > 1.5 s timeout)', { next: ['slow', 'slow'], slowMs: 4000 }, 2));
  it('Hub down longer than one job attempt: the job is retried and resumes', async () => {
    // 3 client retries per request: 9 failures in a row exhaust two attempts of the job, the third gets through.
    await finishesCorrectly('Hub down across job retries', { next: Array(9).fill('server_error') }, 9);
    expect(outcomes.at(-1)!.attempts).toBeGreaterThanOrEqual(2);
  });

  it('a header whose declared length exceeds the file fails with a clear reason, not retried', async () => {
    const r = await scenario('header longer than file', {}, { repoFaults: (repo) => ({ oversizedHeaderRepos: [repo] }) });
    expect(r.analysis.status).toBe('failed');
    expect(r.analysis.errorKind).toBe('corrupt_checkpoint');
    expect(r.analysis.error).toMatch(/header/i);
    expect(r.analysis.attempts).toBe(1);
    expect(r.stored).toBe(0);
  });

  it('NaN weights in one tensor: that layer is recorded as skipped with the reason naming it, the rest is analysed', async () => {
    const bad = 'model.layers.1.mlp.up_proj.weight';
    const r = await scenario('NaN weights in one tensor', {}, { nanTensor: bad });
    expect(r.analysis.status).toBe('done');
    const db = await getDb();
    const [row] = await db.select().from(layers).where(and(eq(layers.analysisId, r.analysis.id), eq(layers.tensor, bad)));
    expect(row.status).toBe('skipped');
    expect(row.skipReason).toContain(bad);
    expect(row.skipReason).toMatch(/NaN|non-finite/i);
    expect(r.analysis.summary?.layers_analyzed).toBe(r.total - 1);
    outcomes.at(-1)!.reason = `layer skipped: ${row.skipReason!.slice(0, 90)}`;
  });

  it('a gated repo without a token fails with "gated: needs a token with access", not retried', async () => {
    const r = await scenario('gated repo, no token', {}, { repoFaults: (repo) => ({ gatedRepos: [repo] }) });
    expect(r.analysis.status).toBe('failed');
    expect(r.analysis.errorKind).toBe('gated');
    expect(r.analysis.error).toContain('gated: needs a token with access');
    expect(r.analysis.attempts).toBe(1);
  });
});
