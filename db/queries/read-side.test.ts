import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('server-only', () => ({}));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-read-'));
process.env.DATA_DIR = path.join(dir, 'pglite');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;

const { closeDb } = await import('@/db/client');
const { seedSampleBoard } = await import('./testing/sample-data');
const { listLeaderboard, getLeaderboardFacets } = await import('./leaderboard');
const { leaderboardParamsSchema } = await import('./leaderboard-params');
const { getModelDetail } = await import('./model-detail');
const { listLayers, getLayerEsd, getCheckpointSeries } = await import('./layers');
const { getComparison } = await import('./compare');
const { searchModels } = await import('./search');
const { getBenchmarkCorrelation, listBenchmarks } = await import('./benchmarks');
const { importBenchmarkScores, parseBenchmarkCsv } = await import('@/jobs/import-benchmarks');

const params = (q: Record<string, string>) => leaderboardParamsSchema.parse(q);

beforeAll(async () => {
  await seedSampleBoard();
  await importBenchmarkScores({
    rows: parseBenchmarkCsv('model,mmlu,truthfulqa\nsample/llama-mini,45,40\nsample/falcon-mini,30,35\nsample/llama-mini-chat,50,44\nsample/pythia-mini,25,\n'),
    source: 'test',
  });
});

afterAll(async () => {
  await closeDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('leaderboard', () => {
  it('lists every model once with its current analysis and sorts by mean alpha ascending by default', async () => {
    const page = await listLeaderboard(params({}));
    expect(page.total).toBe(6);
    const done = page.rows.filter((r) => r.status === 'done');
    const alphas = done.map((r) => r.summary!.alpha);
    expect(alphas).toEqual([...alphas].sort((a, b) => a - b));
    // Models without a summary (running, failed) sort last.
    expect(page.rows.slice(-2).map((r) => r.status).sort()).toEqual(['failed', 'running']);
    const failed = page.rows.find((r) => r.status === 'failed')!;
    expect(failed.error).toMatch(/gated/);
    expect(failed.gated).toBe(true);
    const running = page.rows.find((r) => r.status === 'running')!;
    expect(running.progress!.layersDone).toBeLessThan(running.progress!.layersTotal!);
  });

  it('picks the newest revision of a checkpoint series', async () => {
    const page = await listLeaderboard(params({ q: 'pythia' }));
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0].revision!.ref).toBe('step4000');
  });

  it('filters by family, dtype, status, gated and parameter range, and paginates with a stable order', async () => {
    expect((await listLeaderboard(params({ family: 'llama' }))).total).toBe(3);
    expect((await listLeaderboard(params({ dtype: 'F32,F16' }))).rows.map((r) => r.id).sort()).toEqual(['sample/llama-mini-chat', 'sample/pythia-mini', 'sample/running-model']);
    expect((await listLeaderboard(params({ status: 'failed' }))).rows.map((r) => r.id)).toEqual(['sample/gated-model']);
    expect((await listLeaderboard(params({ gated: 'false' }))).total).toBe(5);
    expect((await listLeaderboard(params({ minParams: '1B', maxParams: '7B' }))).total).toBe(3);
    const all = await listLeaderboard(params({ sort: 'model', dir: 'desc' }));
    const p1 = await listLeaderboard(params({ sort: 'model', dir: 'desc', pageSize: '4' }));
    const p2 = await listLeaderboard(params({ sort: 'model', dir: 'desc', pageSize: '4', page: '2' }));
    expect([...p1.rows, ...p2.rows].map((r) => r.id)).toEqual(all.rows.map((r) => r.id));
    expect(p2.total).toBe(6);
    const past = await listLeaderboard(params({ page: '9', pageSize: '4' }));
    expect(past.rows).toHaveLength(0);
    expect(past.total).toBe(6);
  });

  it('sorts by an imported benchmark and carries benchmark columns', async () => {
    const page = await listLeaderboard(params({ sort: 'bench:mmlu' }));
    expect(page.rows.slice(0, 3).map((r) => r.id)).toEqual(['sample/llama-mini-chat', 'sample/llama-mini', 'sample/falcon-mini']);
    expect(page.rows[0].benchmarks).toEqual({ mmlu: 50, truthfulqa: 44 });
  });

  it('rejects bad parameters with a message naming them', () => {
    const bad = leaderboardParamsSchema.safeParse({ sort: 'nope', minParams: 'lots' });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['sort', 'minParams']));
  });

  it('offers facets', async () => {
    const f = await getLeaderboardFacets();
    expect(f.families).toEqual(['falcon', 'gpt2', 'gpt_neox', 'llama']);
    expect(f.benchmarks).toEqual(['mmlu', 'truthfulqa']);
  });
});

describe('model detail, layers, ESD', () => {
  it('returns the model with revisions, the shown analysis and its base model', async () => {
    const d = await getModelDetail({ id: 'sample/llama-mini-chat' });
    expect(d!.analysis!.status).toBe('done');
    expect(d!.base).toEqual({ id: 'sample/llama-mini', onBoard: true });
    expect((await getModelDetail({ id: 'sample/llama-mini' }))!.fineTunes).toEqual(['sample/llama-mini-chat']);
    expect(await getModelDetail({ id: 'nobody/nothing' })).toBeNull();
  });

  it('selects a revision by ref or sha prefix', async () => {
    const d = await getModelDetail({ id: 'sample/pythia-mini', revision: 'step1000' });
    expect(d!.analysis!.revision.ref).toBe('step1000');
    expect(d!.revisions.map((r) => r.step)).toEqual([4000, 2000, 1000]);
    const bySha = await getModelDetail({ id: 'sample/pythia-mini', revision: d!.analysis!.revision.sha.slice(0, 8) });
    expect(bySha!.analysis!.id).toBe(d!.analysis!.id);
    expect(await getModelDetail({ id: 'sample/pythia-mini', revision: 'step99' })).toBeNull();
  });

  it('lists layers with WeightWatcher columns and serves one layer ESD by ordinal or name', async () => {
    const d = await getModelDetail({ id: 'sample/llama-mini' });
    const rows = await listLayers({ analysisId: d!.analysis!.id });
    expect(rows).toHaveLength(4 * 7 + 2);
    expect(rows[1]).toMatchObject({ tensor: 'model.layers.0.self_attn.q_proj.weight', role: 'q', block_index: 0, status: 'success' });
    expect(rows[1].xmin).toBe(1);
    const byOrdinal = await getLayerEsd({ analysisId: d!.analysis!.id, layer: '1' });
    const byName = await getLayerEsd({ analysisId: d!.analysis!.id, layer: 'model.layers.0.self_attn.q_proj' });
    expect(byOrdinal!.layer.id).toBe(byName!.layer.id);
    expect(byName!.esd.evals.length).toBe(64);
    expect(byName!.esd.fit.alpha).toBeCloseTo(rows[1].alpha!);
    expect(await getLayerEsd({ analysisId: d!.analysis!.id, layer: 'missing.layer' })).toBeNull();
  });

  it('builds a checkpoint series in step order', async () => {
    const s = await getCheckpointSeries({ modelId: 'sample/pythia-mini' });
    expect(s!.steps.map((x) => x.step)).toEqual([1000, 2000, 4000]);
    expect(s!.layers[1].alphas.every((a) => a != null)).toBe(true);
    // Planted: alpha falls as training proceeds.
    expect(s!.steps[0].meanAlpha!).toBeGreaterThan(s!.steps[2].meanAlpha!);
    expect(await getCheckpointSeries({ modelId: 'sample/llama-mini' })).toBeNull();
  });
});

describe('compare, search, benchmarks', () => {
  it('aligns Llama q/k/v with Falcon fused qkv and reports summary deltas', async () => {
    const { comparison, missing } = await getComparison({ a: 'sample/llama-mini', b: 'sample/falcon-mini' });
    expect(missing).toEqual([]);
    const attn = comparison!.rows.filter((r) => r.slot === 'attn_in');
    // Llama has 4 blocks, Falcon 3: the deeper model drives, every row has both sides.
    expect(attn).toHaveLength(4);
    expect(attn.every((r) => r.a && r.b)).toBe(true);
    expect(attn[0].a!.names).toHaveLength(3);
    expect(comparison!.rows.some((r) => r.slot === 'o' && r.a && r.b)).toBe(true);
    const alpha = comparison!.summaryDeltas.find((d) => d.key === 'alpha')!;
    expect(alpha.delta).toBeCloseTo(alpha.b! - alpha.a!);
    expect((await getComparison({ a: 'sample/llama-mini', b: 'x/y' })).missing).toEqual(['x/y']);
  });

  it('searches with prefix matches first', async () => {
    const hits = await searchModels({ q: 'llama' });
    expect(hits.map((h) => h.id)).toEqual(['sample/llama-mini', 'sample/llama-mini-chat']);
    expect(await searchModels({ q: '%' })).toEqual([]);
  });

  it('correlates a summary metric with a benchmark', async () => {
    expect(await listBenchmarks()).toEqual([{ benchmark: 'mmlu', models: 4 }, { benchmark: 'truthfulqa', models: 3 }]);
    const c = await getBenchmarkCorrelation({ benchmark: 'mmlu', metric: 'alpha' });
    expect(c.points).toHaveLength(4);
    expect(c.spearman).not.toBeNull();
    expect(Math.abs(c.spearman!)).toBeLessThanOrEqual(1);
  });
});

describe('an analysis whose worker stopped', () => {
  it('running with a heartbeat older than three beats reads as waiting to resume, on the board and the model page', async () => {
    const running = (await listLeaderboard(params({}))).rows.find((r) => r.status === 'running')!;
    expect(running.progress!.waitingToResume).toBe(false);
    const { getSql } = await import('@/db/client');
    const sql = await getSql();
    await sql.query(`update analyses set updated_at = now() - interval '1 hour' where id = $1`, [running.analysisId]);
    const after = (await listLeaderboard(params({}))).rows.find((r) => r.id === running.id)!;
    expect(after.status).toBe('running');
    expect(after.progress!.waitingToResume).toBe(true);
    const detail = await getModelDetail({ id: running.id });
    expect(detail!.analysis).toMatchObject({ status: 'running', waitingToResume: true, etaSeconds: null });
    // A done analysis never waits, however old its last update.
    const done = (await listLeaderboard(params({}))).rows.find((r) => r.status === 'done')!;
    expect(done.progress!.waitingToResume).toBe(false);
  });
});
