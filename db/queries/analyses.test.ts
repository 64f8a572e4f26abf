import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, getSql } from '../client';
import { freshDataDir, removeFreshDataDirs } from '@/jobs/testing/fresh-db';
import {
  claimAnalysis,
  ClaimLostError,
  createAnalysis,
  getAnalysis,
  heartbeatAnalysis,
  listStaleClaims,
  markAnalysisDone,
  markAnalysisFailed,
  optionsKeyOf,
  releaseAllClaims,
  releaseAnalysis,
  updateProgress,
} from './analyses';
import { countLayers, storeLayer } from './layers-write';
import { ensureRevision, stepOfRef, upsertModel } from './models-write';
import { addToWatchlist, listWatchlistEntries } from './watchlist';

/** The write-side state machine: idempotent creation, claims and their takeover, idempotent layer upserts. */

beforeAll(async () => {
  process.env.DATA_DIR = await freshDataDir('queries');
  delete process.env.DATABASE_URL;
});
afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
});

async function newAnalysis(sha: string) {
  await upsertModel({ id: 'acme/model', family: 'llama' });
  const rev = await ensureRevision({ modelId: 'acme/model', sha, ref: 'main' });
  return createAnalysis({ modelId: 'acme/model', revisionId: rev.id });
}

describe('analyses', () => {
  it('one analysis per (revision, options): asking again returns the same row', async () => {
    const a = await newAnalysis('a'.repeat(40));
    const b = await newAnalysis('a'.repeat(40));
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.analysis.id).toBe(a.analysis.id);
    expect(optionsKeyOf({})).toBe('default');
    expect(optionsKeyOf({ mpFit: true, detX: false })).toBe(optionsKeyOf({ detX: false, mpFit: true }));
    expect(optionsKeyOf({ mpFit: true })).not.toBe('default');
  });

  it('a live claim excludes other workers; a stale one is taken over; release puts it back', async () => {
    const { analysis } = await newAnalysis('b'.repeat(40));
    const id = analysis.id;
    expect(await claimAnalysis({ analysisId: id, worker: 'w1', staleAfterSeconds: 60 })).not.toBeNull();
    expect(await claimAnalysis({ analysisId: id, worker: 'w2', staleAfterSeconds: 60 })).toBeNull();
    expect(await heartbeatAnalysis({ analysisId: id, worker: 'w1' })).toBe(true);
    // w1 goes silent: with a zero staleness window its claim is stale at once.
    await new Promise((r) => setTimeout(r, 20));
    const taken = await claimAnalysis({ analysisId: id, worker: 'w2', staleAfterSeconds: 0 });
    expect(taken?.worker).toBe('w2');
    expect(taken?.attempts).toBe(2);
    expect(await heartbeatAnalysis({ analysisId: id, worker: 'w1' })).toBe(false);
    await releaseAnalysis({ analysisId: id, worker: 'w2' });
    expect((await getAnalysis({ analysisId: id }))?.status).toBe('queued');
  });

  it('a failed analysis is not claimable until re-requested', async () => {
    const { analysis } = await newAnalysis('c'.repeat(40));
    await markAnalysisFailed({ analysisId: analysis.id, error: 'gated: needs a token with access', errorKind: 'gated' });
    expect(await claimAnalysis({ analysisId: analysis.id, worker: 'w', staleAfterSeconds: 60 })).toBeNull();
    const rev = await ensureRevision({ modelId: 'acme/model', sha: 'c'.repeat(40) });
    const again = await createAnalysis({ modelId: 'acme/model', revisionId: rev.id, requeueFailed: true });
    expect(again.analysis).toMatchObject({ id: analysis.id, status: 'queued', error: null });
  });
});

describe('layers', () => {
  it('storing the same tensor twice overwrites, never duplicates', async () => {
    const { analysis } = await newAnalysis('d'.repeat(40));
    const layer = { tensor: 'model.layers.0.mlp.up_proj.weight', name: 'model.layers.0.mlp.up_proj', status: 'success' as const, shape: [64, 32], dtype: 'BF16', alpha: 3.5, xmin: 0.1, xmax: 2, D: 0.05 };
    const placement = { ordinal: 3, blockIndex: 0, relativeDepth: 0.5, role: 'up', fused: false };
    const id1 = await storeLayer({ analysisId: analysis.id, layer, placement });
    const id2 = await storeLayer({ analysisId: analysis.id, layer: { ...layer, alpha: 3.6, esd: { evals: [1, 2], complete: true, fit: { alpha: 3.6, xmin: 1, xmax: 2, D: 0.1, status: 'success' } } }, placement });
    expect(id2).toBe(id1);
    expect(await countLayers({ analysisId: analysis.id })).toBe(1);
    const sql = await getSql();
    const row = (await sql.query('select alpha, pl_xmin, pl_xmax from layers where id = $1', [id1])).rows[0];
    expect(row).toEqual({ alpha: 3.6, pl_xmin: 0.1, pl_xmax: 2 });
    expect((await sql.query('select count(*)::int as n from layer_esd where layer_id = $1', [id1])).rows[0].n).toBe(1);
  });
});

describe('writes under a claim', () => {
  const layer = { tensor: 'model.layers.0.self_attn.q_proj.weight', name: 'model.layers.0.self_attn.q_proj', status: 'success' as const, shape: [32, 32], dtype: 'BF16', alpha: 3.1 };
  const placement = { ordinal: 0, blockIndex: 0, relativeDepth: 0, role: 'q', fused: false };

  it('a worker that lost its claim writes nothing: no layer, no progress, no summary, no failure', async () => {
    const { analysis } = await newAnalysis('e'.repeat(40));
    const id = analysis.id;
    await claimAnalysis({ analysisId: id, worker: 'paused', staleAfterSeconds: 60 });
    await updateProgress({ analysisId: id, worker: 'paused', layersDone: 0, layersTotal: 9 });
    // 'paused' stops heart-beating; 'live' takes the analysis over.
    await new Promise((r) => setTimeout(r, 20));
    expect((await claimAnalysis({ analysisId: id, worker: 'live', staleAfterSeconds: 0 }))?.worker).toBe('live');
    await expect(storeLayer({ analysisId: id, layer, placement, worker: 'paused' })).rejects.toBeInstanceOf(ClaimLostError);
    expect(await countLayers({ analysisId: id })).toBe(0);
    await expect(updateProgress({ analysisId: id, worker: 'paused', layersDone: 5 })).rejects.toBeInstanceOf(ClaimLostError);
    await expect(markAnalysisDone({ analysisId: id, worker: 'paused', summary: null })).rejects.toBeInstanceOf(ClaimLostError);
    await expect(markAnalysisFailed({ analysisId: id, worker: 'paused', error: 'x', errorKind: 'internal' })).rejects.toBeInstanceOf(ClaimLostError);
    expect(await getAnalysis({ analysisId: id })).toMatchObject({ status: 'running', worker: 'live', layersDone: 0 });
    // The holder's writes go through, and a stored layer refreshes its heartbeat.
    const before = (await getAnalysis({ analysisId: id }))!.updatedAt;
    await new Promise((r) => setTimeout(r, 20));
    await storeLayer({ analysisId: id, layer, placement, worker: 'live' });
    expect((await getAnalysis({ analysisId: id }))!.updatedAt.getTime()).toBeGreaterThan(before.getTime());
    await updateProgress({ analysisId: id, worker: 'live', layersDone: 1 });
    await markAnalysisDone({ analysisId: id, worker: 'live', summary: null });
    expect(await getAnalysis({ analysisId: id })).toMatchObject({ status: 'done', layersDone: 1 });
    expect(await countLayers({ analysisId: id })).toBe(1);
  });

  it('stale claims are listed with their job data; releasing all claims queues them again', async () => {
    const { analysis } = await newAnalysis('f'.repeat(40));
    const id = analysis.id;
    await claimAnalysis({ analysisId: id, worker: 'gone:1:abc', staleAfterSeconds: 60 });
    expect((await listStaleClaims({ staleAfterSeconds: 60 })).map((r) => r.analysisId)).not.toContain(id);
    await new Promise((r) => setTimeout(r, 20));
    const stale = (await listStaleClaims({ staleAfterSeconds: 0 })).find((r) => r.analysisId === id);
    expect(stale).toMatchObject({ repoId: 'acme/model', sha: 'f'.repeat(40), ref: 'main', optionsKey: 'default', worker: 'gone:1:abc' });
    expect(stale!.silentSeconds).toBeGreaterThanOrEqual(0);
    const released = await releaseAllClaims();
    expect(released.map((r) => r.analysisId)).toContain(id);
    expect(await getAnalysis({ analysisId: id })).toMatchObject({ status: 'queued', worker: null });
    expect(await releaseAllClaims()).toEqual([]);
    // Queued again, it is claimable at once by the next run.
    expect(await claimAnalysis({ analysisId: id, worker: 'next', staleAfterSeconds: 60 })).not.toBeNull();
  });
});

describe('revisions and watchlist', () => {
  it('parses training steps from refs and merges watchlist revisions', async () => {
    expect(stepOfRef('step1000')).toBe(1000);
    expect(stepOfRef('main')).toBeNull();
    expect(stepOfRef('checkpoint-step_250')).toBe(250);
    await addToWatchlist({ repoId: 'acme/series', revisions: ['step1000'] });
    await addToWatchlist({ repoId: 'acme/series', revisions: ['step2000', 'step1000'] });
    const entries = await listWatchlistEntries();
    expect(entries.find((e) => e.repoId === 'acme/series')?.revisions).toEqual(['step1000', 'step2000']);
  });
});
