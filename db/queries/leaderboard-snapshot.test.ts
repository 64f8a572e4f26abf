import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '@/lib/spectral/rng';

vi.mock('server-only', () => ({}));

const { freshDataDir, removeFreshDataDirs } = await import('@/jobs/testing/fresh-db');
process.env.DATA_DIR = await freshDataDir('snapshot');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;
delete process.env.BOARD_CACHE;

const { closeDb, getDb } = await import('@/db/client');
const { seedSampleBoard } = await import('./testing/sample-data');
const { listLeaderboard, queryLeaderboardSql } = await import('./leaderboard');
const { leaderboardParamsSchema, SORT_KEYS } = await import('./leaderboard-params');
const { boardWatch } = await import('./board-watch');
const { createAnalysis, markAnalysisDone, updateProgress } = await import('./analyses');
const { ensureRevision, upsertModel } = await import('./models-write');
const { importBenchmarkScores, parseBenchmarkCsv } = await import('@/jobs/import-benchmarks');

const FAMILIES = ['llama', 'qwen2', 'mistral', 'falcon', 'gpt2', null];

/** Models with every sortable field varied, ties included (equal alphas, equal downloads, null values). */
async function seedVariedModels(n: number): Promise<void> {
  const db = await getDb();
  const rand = seededRandom(7);
  for (let i = 0; i < n; i++) {
    const id = `vary/${['A', 'b', 'c'][i % 3]}model-${String(i).padStart(3, '0')}`;
    await upsertModel({
      id,
      family: FAMILIES[i % FAMILIES.length],
      architecture: i % 7 === 0 ? null : `Arch${i % 4}ForCausalLM`,
      parameterCount: i % 9 === 0 ? null : Math.round(rand() * 70) * 1e9,
      dtype: ['BF16', 'F16', 'F32'][i % 3],
      license: i % 5 === 0 ? null : ['mit', 'apache-2.0'][i % 2],
      gated: i % 6 === 0 ? 'manual' : null,
      downloads: i % 8 === 0 ? null : Math.floor(rand() * 5) * 100,
      likes: Math.floor(rand() * 10),
      baseModel: i % 10 === 3 ? 'sample/llama-mini' : null,
      source: 'discovery',
    });
    if (i % 11 === 0) continue; // never analysed
    const rev = await ensureRevision({ modelId: id, sha: i.toString(16).padStart(40, 'a'), ref: i % 4 === 0 ? 'dev' : 'main' });
    const { analysis } = await createAnalysis({ modelId: id, revisionId: rev.id });
    const status = i % 13 === 0 ? 'failed' : i % 17 === 0 ? 'running' : 'done';
    if (status === 'done') {
      const alpha = Math.round(rand() * 8 * 4) / 4; // quarter steps: many ties
      await markAnalysisDone({
        analysisId: analysis.id,
        summary: {
          alpha, median_alpha: alpha + 0.1, alpha_weighted: alpha * 2, log_alpha_norm: alpha * 3, log_spectral_norm: 1 + (i % 3),
          log_norm: 2, stable_rank: 10, layers_analyzed: 10 + (i % 4), mean_D: Math.round(rand() * 10) / 100,
          share_alpha_lt_2: (i % 3) / 10, share_alpha_gt_6: 0, correlation_traps: i % 5 === 0 ? null : i % 3,
        } as any,
      });
    } else if (status === 'failed') {
      await db.execute(sql`UPDATE analyses SET status = 'failed', error = 'gated: test', error_kind = 'gated' WHERE id = ${analysis.id}`);
    } else {
      await updateProgress({ analysisId: analysis.id, layersDone: 3, layersTotal: 10 });
      await db.execute(sql`UPDATE analyses SET status = 'running' WHERE id = ${analysis.id}`);
    }
  }
  await importBenchmarkScores({
    rows: parseBenchmarkCsv(['model,mmlu', ...Array.from({ length: n }, (_, i) => i % 3 === 0 ? `vary/${['A', 'b', 'c'][i % 3]}model-${String(i).padStart(3, '0')},${(i * 7) % 50}` : '').filter(Boolean)].join('\n') + '\n'),
    source: 'test',
  });
}

function randomView(rand: () => number): Record<string, string> {
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const q: Record<string, string> = {};
  if (rand() < 0.9) q.sort = pick([...SORT_KEYS, 'bench:mmlu', 'bench:none']);
  if (rand() < 0.5) q.dir = pick(['asc', 'desc']);
  if (rand() < 0.3) q.family = pick(['llama', 'qwen2,falcon', 'gpt2', 'mistral,llama,gpt2']);
  if (rand() < 0.2) q.dtype = pick(['BF16', 'F16,F32']);
  if (rand() < 0.2) q.status = pick(['done', 'running,failed', 'queued']);
  if (rand() < 0.15) q.gated = pick(['true', 'false']);
  if (rand() < 0.15) q.minParams = pick(['1B', '20B']);
  if (rand() < 0.15) q.maxParams = pick(['30B', '60B']);
  if (rand() < 0.2) q.q = pick(['model-01', 'A', 'arch1', 'LLAMA', 'sample', '%', '_']);
  if (rand() < 0.15) q.type = pick(['model', 'fine-tune', 'adapter', 'model,fine-tune,adapter']);
  if (rand() < 0.05) q.base = 'sample/llama-mini';
  if (rand() < 0.5) q.page = String(1 + Math.floor(rand() * 4));
  if (rand() < 0.5) q.pageSize = pick(['5', '10', '25']);
  return q;
}

beforeAll(async () => {
  await seedSampleBoard();
  await seedVariedModels(120);
}, 240_000);

afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
});

describe('the in-process leaderboard snapshot', () => {
  it('is live on the embedded database', async () => {
    expect(await boardWatch()).not.toBeNull();
  });

  it('answers 400 random views exactly as the SQL query does (rows, order, total)', async () => {
    const rand = seededRandom(11);
    for (let i = 0; i < 400; i++) {
      const view = randomView(rand);
      const p = leaderboardParamsSchema.parse(view);
      const [fromSnapshot, fromSql] = [await listLeaderboard(p), await queryLeaderboardSql(p)];
      expect({ view, ...fromSnapshot }).toEqual({ view, ...fromSql });
    }
  });

  it('shows a finishing analysis, a new model and a benchmark import on the very next read', async () => {
    const p = leaderboardParamsSchema.parse({ q: 'fresh/', type: 'model,fine-tune,adapter' });
    expect((await listLeaderboard(p)).total).toBe(0);
    await upsertModel({ id: 'fresh/model', family: 'llama', source: 'discovery' });
    expect((await listLeaderboard(p)).rows.map((r) => r.status)).toEqual([null]);
    const rev = await ensureRevision({ modelId: 'fresh/model', sha: 'f'.repeat(40), ref: 'main' });
    const { analysis } = await createAnalysis({ modelId: 'fresh/model', revisionId: rev.id });
    expect((await listLeaderboard(p)).rows[0].status).toBe('queued');
    await updateProgress({ analysisId: analysis.id, layersDone: 2, layersTotal: 4 });
    expect((await listLeaderboard(p)).rows[0].progress).toMatchObject({ layersDone: 2, layersTotal: 4 });
    await markAnalysisDone({ analysisId: analysis.id, summary: { alpha: 0.01 } as any });
    expect((await listLeaderboard(p)).rows[0]).toMatchObject({ id: 'fresh/model', status: 'done', summary: { alpha: 0.01 } });
    const byAlpha = await listLeaderboard(leaderboardParamsSchema.parse({ sort: 'alpha', dir: 'asc', family: 'llama', pageSize: '200' }));
    expect(byAlpha.rows.findIndex((r) => r.id === 'fresh/model')).toBe(byAlpha.rows.findIndex((r) => (r.summary?.alpha ?? 1e9) >= 0.01));
    await importBenchmarkScores({ rows: parseBenchmarkCsv('model,mmlu\nfresh/model,99\n'), source: 'test' });
    const byBench = await listLeaderboard(leaderboardParamsSchema.parse({ sort: 'bench:mmlu', dir: 'desc', pageSize: '1' }));
    expect(byBench.rows[0]).toMatchObject({ id: 'fresh/model', benchmarks: { mmlu: 99 } });
  });

  it('drops a deleted model and reloads everything after a TRUNCATE', async () => {
    const db = await getDb();
    await db.execute(sql`DELETE FROM models WHERE id = 'fresh/model'`);
    expect((await listLeaderboard(leaderboardParamsSchema.parse({ q: 'fresh/' }))).total).toBe(0);
    await db.execute(sql`TRUNCATE benchmark_scores`);
    const page = await listLeaderboard(leaderboardParamsSchema.parse({ sort: 'bench:mmlu' }));
    expect(page.rows.every((r) => Object.keys(r.benchmarks).length === 0)).toBe(true);
    expect(page).toEqual(await queryLeaderboardSql(leaderboardParamsSchema.parse({ sort: 'bench:mmlu' })));
  });
});
