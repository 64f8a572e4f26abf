import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, getSql } from '../client';
import { freshDataDir, removeFreshDataDirs } from '@/jobs/testing/fresh-db';
import {
  claimAnalysis,
  createAnalysis,
  getAnalysis,
  heartbeatAnalysis,
  markAnalysisFailed,
  optionsKeyOf,
  releaseAnalysis,
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
