import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, asc, count, countDistinct, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { commitFiles, writeStandInRepo } from '@/lib/hub-stand-in/repo-store';
import { encodeSafetensors, type TensorSpec } from '@/lib/safetensors';
import { getDb } from '@/db/client';
import { analyses, layers, revisions } from '@/db/schema';
import type { Analysis } from '@/db/schema';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { centredRandom, tinyLlamaTensors } from './testing/tiny-repos';

/**
 * Delta and adapter analyses through the board's pipeline, against the stand-in Hub with generated tiny repos:
 * planning from the card's base_model, the delta job's stored rows (ΔW columns + delta columns, unchanged and
 * unmatched rows), resuming after an interruption without duplicates, adapter repos (LoRA rows, a module that does
 * not fit the base, an unsupported peft type), and base_model pointing at itself or forming a cycle.
 * Jobs are run directly (no queue workers), so each step is deterministic.
 */

vi.mock('server-only', () => ({}));

let hub: StandInHub;
let root: string;


function card(base?: string): string {
  return `---\nlicense: apache-2.0\n${base ? `base_model: ${base}\n` : ''}---\n# test\n`;
}

const LLAMA_CONFIG = JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, vocab_size: 96 });

async function writeRepo(id: string, files: Record<string, Uint8Array | string>, tags: string[] = ['safetensors']): Promise<void> {
  await writeStandInRepo(root, { id, downloads: 10, likes: 1, tags });
  await commitFiles(root, id, { files, title: 'upload' });
}

async function writeModel(id: string, tensors: TensorSpec[], base?: string): Promise<void> {
  await writeRepo(id, { 'config.json': LLAMA_CONFIG, 'README.md': card(base), 'model.safetensors': encodeSafetensors(tensors, { format: 'pt' }) });
}

const PERTURBED = ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.up_proj.weight'];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-delta-'));
  const base = tinyLlamaTensors({ id: 'test/base', seed: 11 });
  await writeModel('test/base', base);
  // The fine-tune: two matrices moved by small noise, every other matrix frozen (byte-identical), lm_head dropped
  // (base only), a classifier head added (fine-tune only).
  const r = centredRandom(7);
  const ft = base
    .filter((t) => t.name !== 'lm_head.weight')
    .map((t) => (PERTURBED.includes(t.name) ? { ...t, data: Float64Array.from(t.data as Float64Array, (x) => x + r() * 0.02) } : t));
  ft.push({ name: 'score.weight', dtype: 'F32', shape: [16, 32], data: Float64Array.from({ length: 16 * 32 }, () => r()) });
  await writeModel('test/ft', ft, 'test/base');
  await writeModel('test/self', tinyLlamaTensors({ id: 'x', seed: 12 }), 'test/self');
  await writeModel('test/cyc-a', tinyLlamaTensors({ id: 'x', seed: 13 }), 'test/cyc-b');
  await writeModel('test/cyc-b', tinyLlamaTensors({ id: 'x', seed: 14 }), 'test/cyc-a');
  await writeModel('test/gone-base', tinyLlamaTensors({ id: 'x', seed: 15 }), 'test/no-such-repo');
  // Another architecture: no tensor name in common with the base.
  await writeModel('test/other-arch', [
    { name: 'transformer.h.0.attn.c_attn.weight', dtype: 'F32', shape: [32, 96], data: Float64Array.from({ length: 32 * 96 }, () => r()) },
  ], 'test/base');
  // A LoRA adapter on q_proj of block 0 (r = 10) plus a module whose shape does not fit the base's up_proj.
  const lora = (name: string, rows: number, cols: number): TensorSpec => ({ name, dtype: 'F32', shape: [rows, cols], data: Float64Array.from({ length: rows * cols }, () => r()) });
  const p = 'base_model.model.model.layers.0';
  await writeRepo('test/lora', {
    'README.md': card('test/base'),
    'adapter_config.json': JSON.stringify({ peft_type: 'LORA', r: 10, lora_alpha: 20, target_modules: ['q_proj', 'up_proj'], base_model_name_or_path: 'test/base' }),
    'adapter_model.safetensors': encodeSafetensors([
      lora(`${p}.self_attn.q_proj.lora_A.weight`, 10, 32), lora(`${p}.self_attn.q_proj.lora_B.weight`, 32, 10),
      lora(`${p}.mlp.up_proj.lora_A.weight`, 10, 32), lora(`${p}.mlp.up_proj.lora_B.weight`, 40, 10),
    ], { format: 'pt' }),
  }, ['peft']);
  await writeRepo('test/ia3', {
    'README.md': card('test/base'),
    'adapter_config.json': JSON.stringify({ peft_type: 'IA3', target_modules: ['k_proj'] }),
    'adapter_model.safetensors': encodeSafetensors([lora('base_model.model.model.layers.0.self_attn.k_proj.ia3_l', 32, 1)], { format: 'pt' }),
  }, ['peft']);
  hub = await startStandInHub({ root });
  Object.assign(process.env, {
    DATA_DIR: await freshDataDir('delta'),
    HF_ENDPOINT: hub.url,
    WATCHLIST: 'none',
    DISCOVERY_CRON: 'off',
    JOB_LEASE_SECONDS: '60',
    LOG_LEVEL: 'silent',
  });
  delete process.env.DATABASE_URL;
});

afterAll(async () => {
  const { stopQueue } = await import('./queue');
  const { closeComputePool } = await import('./compute-pool');
  const { closeDb } = await import('@/db/client');
  await stopQueue(5000);
  await closeComputePool();
  await closeDb();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
});

async function analysesOf(modelId: string): Promise<Array<Analysis & { sha: string; ref: string }>> {
  const db = await getDb();
  const rows = await db
    .select({ a: analyses, sha: revisions.sha, ref: revisions.ref })
    .from(analyses)
    .innerJoin(revisions, eq(revisions.id, analyses.revisionId))
    .where(eq(analyses.modelId, modelId))
    .orderBy(asc(analyses.id));
  return rows.map((r) => ({ ...r.a, sha: r.sha, ref: r.ref }));
}

/** Runs one analysis' job to its end (as the queue's handler would). */
async function runJob(a: Analysis & { sha: string; ref: string }, run: Parameters<typeof import('./analyze-model')['analyzeModel']>[1] = {}) {
  const { analyzeModel } = await import('./analyze-model');
  return analyzeModel({ repoId: a.modelId, sha: a.sha, ref: a.ref, analysisId: a.id, optionsKey: a.optionsKey, kind: a.kind }, run);
}

async function rowsOf(analysisId: number) {
  const db = await getDb();
  return db.select().from(layers).where(eq(layers.analysisId, analysisId)).orderBy(asc(layers.ordinal));
}

describe('delta analyses on the board', () => {
  it('plans the base and a delta analysis from the card base_model; stores ΔW rows with delta columns, unchanged and unmatched', async () => {
    const { planRevision } = await import('./plan');
    const planned = await planRevision({ repoId: 'test/ft' });
    expect(planned.analysis.kind).toBe('model');
    const base = await analysesOf('test/base');
    expect(base.map((a) => a.kind)).toEqual(['model']);
    const [model, delta] = await analysesOf('test/ft');
    expect(model.kind).toBe('model');
    expect(delta.kind).toBe('delta');
    expect(delta.baseRevisionId).toBe(base[0].revisionId);
    expect(delta.status).toBe('queued');

    expect(await runJob(delta)).toBe('done');
    const rows = await rowsOf(delta.id);
    const by = new Map(rows.map((r) => [r.tensor, r]));
    for (const name of PERTURBED) {
      const r = by.get(name)!;
      expect(r.status, `${name}: ${r.skipReason}`).toBe('success');
      expect(r.delta_rel_frobenius).toBeGreaterThan(0);
      expect(r.delta_rel_frobenius).toBeLessThan(0.5);
      expect(r.delta_spectral_ratio).toBeGreaterThan(0);
      expect(r.delta_stable_rank).toBeGreaterThan(1);
      expect(r.delta_effective_rank).toBeGreaterThan(1);
      expect(r.alpha).toBeGreaterThan(0);
      expect(r.baseTensor).toBe(name);
    }
    expect(by.get('model.layers.0.self_attn.k_proj.weight')!.status).toBe('unchanged');
    expect(by.get('model.layers.0.self_attn.k_proj.weight')!.delta_rel_frobenius).toBe(0);
    const score = by.get('score.weight')!;
    expect(score.status).toBe('unmatched');
    expect(score.side).toBe('model');
    expect(score.skipReason).toMatch(/only in the fine-tune/);
    const head = by.get('lm_head.weight')!;
    expect(head.status).toBe('unmatched');
    expect(head.side).toBe('base');
    const [done] = (await analysesOf('test/ft')).filter((a) => a.kind === 'delta');
    expect(done.status).toBe('done');
    expect(done.summary?.layers_analyzed).toBe(2);
    expect(done.layersDone).toBe(rows.length);
  });

  it('resumes an interrupted delta analysis at the first missing row, without storing a row twice', async () => {
    const db = await getDb();
    const [, delta] = await analysesOf('test/ft');
    // Start over on a fresh analysis of the same pair with other options.
    const { createAnalysis } = await import('@/db/queries/analyses');
    const { analysis } = await createAnalysis({
      modelId: 'test/ft', revisionId: delta.revisionId, options: { mpFit: true }, kind: 'delta', baseRevisionId: delta.baseRevisionId,
    });
    const [fresh] = (await analysesOf('test/ft')).filter((a) => a.id === analysis.id);
    const first: string[] = [];
    await expect(
      runJob(fresh, {
        onLayerStored: ({ tensor }) => {
          first.push(tensor);
          if (first.length === 4) throw new Error('worker interrupted');
        },
      }),
    ).rejects.toThrow('worker interrupted');
    expect((await rowsOf(analysis.id)).length).toBe(4);
    const second: string[] = [];
    expect(await runJob(fresh, { onLayerStored: ({ tensor }) => void second.push(tensor) })).toBe('done');
    expect(second.some((t) => first.includes(t))).toBe(false);
    const [{ n, distinct }] = await db
      .select({ n: count(), distinct: countDistinct(layers.tensor) })
      .from(layers)
      .where(eq(layers.analysisId, analysis.id));
    expect(n).toBe(distinct);
    expect(n).toBe((await rowsOf(delta.id)).length);
  });

  it('refuses a base of another architecture with a clear reason', async () => {
    const { planRevision } = await import('./plan');
    await planRevision({ repoId: 'test/other-arch' });
    const delta = (await analysesOf('test/other-arch')).find((a) => a.kind === 'delta')!;
    expect(await runJob(delta)).toBe('failed');
    const [after] = (await analysesOf('test/other-arch')).filter((a) => a.kind === 'delta');
    expect(after.error).toMatch(/no tensor pairs.*different architectures/);
  });

  it('a base_model naming the model itself, a cycle, or a missing base: a failed delta analysis with the reason, no loop', async () => {
    const { planRevision } = await import('./plan');
    await planRevision({ repoId: 'test/self' });
    const self = (await analysesOf('test/self')).find((a) => a.kind === 'delta')!;
    expect(self.status).toBe('failed');
    expect(self.baseRevisionId).toBeNull();
    expect(self.error).toMatch(/names the model itself/);

    await planRevision({ repoId: 'test/cyc-a' });
    const cyc = (await analysesOf('test/cyc-a')).find((a) => a.kind === 'delta')!;
    expect(cyc.status).toBe('failed');
    expect(cyc.error).toBe('base_model cycle: test/cyc-a → test/cyc-b → test/cyc-a');
    // The model's own analysis is planned as usual.
    expect((await analysesOf('test/cyc-a')).find((a) => a.kind === 'model')!.status).toBe('queued');

    await planRevision({ repoId: 'test/gone-base' });
    const gone = (await analysesOf('test/gone-base')).find((a) => a.kind === 'delta')!;
    expect(gone.status).toBe('failed');
    expect(gone.error).toMatch(/^base test\/no-such-repo: /);
  });

  it('an adapter repo gets an adapter analysis (no model analysis): LoRA rows, a module that does not fit the base', async () => {
    const { planRevision } = await import('./plan');
    const planned = await planRevision({ repoId: 'test/lora' });
    expect(planned.analysis.kind).toBe('adapter');
    const all = await analysesOf('test/lora');
    expect(all.map((a) => a.kind)).toEqual(['adapter']);
    expect(all[0].baseRevisionId).not.toBeNull();
    expect(await runJob(all[0])).toBe('done');
    const rows = await rowsOf(all[0].id);
    const q = rows.find((r) => r.tensor === 'model.layers.0.self_attn.q_proj.weight')!;
    expect(q.status).toBe('success');
    expect(q.loraR).toBe(10);
    expect(q.loraScale).toBe(2);
    expect(q.delta_stable_rank).toBeGreaterThan(1);
    expect(q.shape).toEqual([32, 32]);
    const up = rows.find((r) => r.tensor === 'model.layers.0.mlp.up_proj.weight')!;
    expect(up.status).toBe('skipped');
    expect(up.skipReason).toMatch(/does not fit the base test\/base@[0-9a-f]{40}'s model\.layers\.0\.mlp\.up_proj\.weight \[48, 32\]/);
    // The base is on the board: W_base + ΔW is analysed too, so ΔW's size relative to W_base and Δα are known.
    expect(q.delta_rel_frobenius).toBeGreaterThan(0);
    expect(q.delta_spectral_ratio).toBeGreaterThan(0);
    expect(q.baseTensor).toBe('model.layers.0.self_attn.q_proj.weight');
  });

  it('an adapter of an unsupported peft type is stored failed with "unsupported adapter type <type>"', async () => {
    const { planRevision } = await import('./plan');
    await planRevision({ repoId: 'test/ia3' });
    const [a] = await analysesOf('test/ia3');
    expect(a.kind).toBe('adapter');
    expect(await runJob(a)).toBe('failed');
    const [after] = await analysesOf('test/ia3');
    expect(after.error).toBe('unsupported adapter type IA3');
    expect(after.errorKind).toBe('unsupported_adapter');
  });
});

describe('read side', () => {
  it('leaderboard types and base filter; delta view; a base lists its fine-tunes and adapters', async () => {
    const { listLeaderboard } = await import('@/db/queries/leaderboard');
    const { getDeltaAnalysis, listDerivedModels } = await import('@/db/queries/delta');
    type Params = Parameters<typeof listLeaderboard>[0];
    const lb = (extra: Record<string, unknown> = {}) => listLeaderboard({ sort: 'model', page: 1, pageSize: 50, ...extra } as unknown as Params);
    const full = await lb();
    const types = new Map(full.rows.map((r) => [r.id, r.type]));
    expect(types.get('test/base')).toBe('model');
    expect(types.get('test/ft')).toBe('fine-tune');
    expect(types.has('test/lora')).toBe(false);
    const adapters = await lb({ type: ['adapter'] });
    expect(adapters.rows.map((r) => r.id).sort()).toEqual(['test/ia3', 'test/lora']);
    const ofBase = await lb({ base: 'test/base' });
    expect(ofBase.rows.map((r) => r.id).sort()).toEqual(['test/ft', 'test/ia3', 'test/lora', 'test/other-arch']);

    const view = (await getDeltaAnalysis({ modelId: 'test/ft', base: 'test/base' }))!;
    expect(view.kind).toBe('delta');
    expect(view.base?.id).toBe('test/base');
    expect(view.delta_summary.unmatched).toBe(2);
    expect(view.delta_summary.unchanged).toBeGreaterThan(0);
    expect(view.unmatched.map((u) => u.tensor).sort()).toEqual(['lm_head.weight', 'score.weight']);
    expect(view.by_depth.find((s) => s.role === 'q')?.points.length).toBe(1);
    expect(await getDeltaAnalysis({ modelId: 'test/ft', base: 'test/other' })).toBeNull();
    expect((await getDeltaAnalysis({ modelId: 'test/self' }))?.analysis.error).toMatch(/itself/);

    const derived = await listDerivedModels({ baseId: 'test/base' });
    expect(derived.filter((d) => d.type === 'fine-tune').map((d) => d.id)).toEqual(['test/ft', 'test/other-arch']);
    expect(derived.find((d) => d.id === 'test/ft')?.analysis?.status).toBe('done');
    expect(derived.filter((d) => d.type === 'adapter').map((d) => d.id)).toEqual(['test/ia3', 'test/lora']);
  });
});
