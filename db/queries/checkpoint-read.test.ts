import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** What the read side returns for checkpoint formats, MoE experts and mirrors (seeded sample models). */

vi.mock('server-only', () => ({}));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-ckpt-'));
process.env.DATA_DIR = path.join(dir, 'pglite');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;

const { closeDb } = await import('@/db/client');
const { seedSampleBoard, seedCheckpointSamples } = await import('./testing/sample-data');
const { getModelDetail } = await import('./model-detail');
const { listLayers } = await import('./layers');
const { getComparison } = await import('./compare');
const { summarizeByRole } = await import('./layer-aggregates');

let ids: Awaited<ReturnType<typeof seedCheckpointSamples>>;

beforeAll(async () => {
  await seedSampleBoard();
  ids = await seedCheckpointSamples();
});

afterAll(async () => {
  await closeDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('checkpoint read', () => {
  it('returns the format, commit and files of a pytorch-zip analysis', async () => {
    const d = await getModelDetail({ id: ids.bin });
    expect(d!.analysis!.checkpoint).toEqual({ format: 'pytorch-zip', sha: d!.analysis!.revision.sha, ref: null, files: [{ path: 'pytorch_model.bin', size: 250_539_409 }] });
    expect(d!.analysis!.identical_to).toBeNull();
    expect((await getModelDetail({ id: 'sample/llama-mini' }))!.analysis!.checkpoint).toBeNull();
  });
});

describe('per-role aggregates', () => {
  it('SQL aggregates agree with the pure ones over the layer rows, and the summary keeps the plain mean', async () => {
    const d = await getModelDetail({ id: ids.moe });
    const rows = await listLayers({ analysisId: d!.analysis!.id });
    const byRole = d!.analysis!.summary_by_role;
    expect(Object.keys(byRole)).toEqual(['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head']);
    const pure = summarizeByRole(rows);
    for (const [role, agg] of Object.entries(byRole)) {
      expect(agg.layers).toBe(pure[role].layers);
      for (const k of ['alpha_mean', 'alpha_median', 'alpha_min', 'alpha_max'] as const) expect(agg[k]).toBeCloseTo(pure[role][k], 9);
    }
    expect(byRole.expert.layers).toBe(3 * 4 * 3);
    const all = rows.filter((r) => r.status === 'success').map((r) => r.alpha!);
    expect(d!.analysis!.summary!.alpha).toBeCloseTo(all.reduce((s, a) => s + a, 0) / all.length, 9);
  });

  it('layer rows carry expert (null on dense rows) and reused_from', async () => {
    const d = await getModelDetail({ id: ids.moe });
    const rows = await listLayers({ analysisId: d!.analysis!.id });
    expect(rows.find((r) => r.tensor.endsWith('experts.3.w2.weight'))).toMatchObject({ role: 'expert', expert: 3, reused_from: null });
    expect(rows[0]).toMatchObject({ role: 'embedding', expert: null });
    expect(Object.keys(rows[0])).not.toContain('reusedFrom');
  });
});

describe('mirrors', () => {
  it('a model whose layers all came from another says identical_to, with reused_from per row', async () => {
    const d = await getModelDetail({ id: ids.mirror });
    expect(d!.analysis!.identical_to).toBe('sample/llama-mini');
    const rows = await listLayers({ analysisId: d!.analysis!.id });
    expect(rows[1].reused_from).toBe('sample/llama-mini model.layers.0.self_attn.q_proj.weight');
    const src = await getModelDetail({ id: 'sample/llama-mini' });
    expect(src!.analysis!.identical_to).toBeNull();
    expect(d!.analysis!.summary).toEqual(src!.analysis!.summary);
  });
});

describe('compare dense with MoE', () => {
  it("pairs Llama's up_proj with the per-block median of the experts' w3", async () => {
    const { comparison } = await getComparison({ a: 'sample/llama-mini', b: ids.moe });
    const up = comparison!.rows.filter((r) => r.slot === 'up');
    expect(up.length).toBe(4);
    expect(up.every((r) => r.a && r.b && r.b.experts === 4 && r.b.names.every((n) => n.endsWith('.w3')))).toBe(true);
    expect(comparison!.rows.filter((r) => r.slot === 'router').every((r) => r.a === null)).toBe(true);
  });
});

describe('layer rows as JSON written by the database', () => {
  it('equal toLayerRow over drizzle rows for every stored analysis (dense, MoE, mirror), non-finite floats as null', async () => {
    const { getDb } = await import('@/db/client');
    const { sql, asc, eq } = await import('drizzle-orm');
    const { analyses, layers } = await import('@/db/schema');
    const { toLayerRow, listLayersJson } = await import('./layers');
    const db = await getDb();
    const [victim] = await db.select({ id: layers.id }).from(layers).where(eq(layers.status, 'success')).limit(1);
    await db.execute(sql`UPDATE layers SET sigma = 'NaN', entropy = 'Infinity', relative_depth = '-Infinity' WHERE id = ${victim.id}`);
    const all = await db.select({ id: analyses.id }).from(analyses);
    expect(all.length).toBeGreaterThan(8);
    let sawVictim = false;
    for (const { id } of all) {
      const rows = await db.select().from(layers).where(eq(layers.analysisId, id)).orderBy(asc(layers.ordinal), sql`${layers.expert} NULLS FIRST`, asc(layers.id));
      const expected = JSON.parse(JSON.stringify(rows.map(toLayerRow)));
      const got = JSON.parse(await listLayersJson({ analysisId: id }));
      expect(got).toEqual(expected);
      const v = got.find((r: { id: number }) => r.id === victim.id);
      if (v) {
        sawVictim = true;
        expect(v).toMatchObject({ sigma: null, entropy: null, relative_depth: null });
      }
    }
    expect(sawVictim).toBe(true);
  });
});
