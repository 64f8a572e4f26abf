import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Fills a fresh embedded database with real analyses for the e2e tests: generates the synthetic demo checkpoints,
 * serves them from the stand-in Hub, and runs the real pipeline (planRevision → analyzeModel: range reads,
 * checkpoint formats, eigenvalues, power-law fits, layer and ESD storage, reuse of identical weights, summaries) for
 * every demo repo, including the checkpoint series, then the delta analyses the fine-tunes planned against their base
 * (ΔW per tensor) and the PEFT adapter's adapter analysis. Then imports benchmark scores from e2e/fixtures/benchmarks.csv.
 *
 * Usage: `npx tsx e2e/seed.ts <data-dir>` (the folder must not exist or be empty). Writes `<data-dir>/.seeded`
 * when complete, so callers can reuse a seeded folder.
 */

/** Written into `.seeded`; a seeded folder without it is seeded again (e2e/serve.ts). Bump when the seed changes. */
export const SEED_VERSION = 'seed-v5-deltas-adapter';

export async function seedDemoDatabase(dataDir: string, log: (s: string) => void = console.log): Promise<void> {
  const root = process.cwd();
  process.env.DATA_DIR = path.resolve(dataDir, 'pglite');
  delete process.env.DATABASE_URL;
  const hubDir = path.join(root, 'e2e/.artifacts/hub');
  const { generateDemoCheckpoints, DEMO_SERIES } = await import('@/lib/hub-stand-in/demo-models');
  const { startStandInHub } = await import('@/lib/hub-stand-in/server');
  // every demo repo: dense safetensors, PyTorch .bin (zip and legacy), a conversion-bot PR, two MoE layouts, a mirror,
  // full fine-tunes of demo/llama-mini-trained (planted ΔW, frozen attention, resized embeddings + classification head)
  // and a PEFT LoRA adapter
  const repos = await generateDemoCheckpoints(hubDir);
  const hub = await startStandInHub({ root: hubDir, port: 0 });
  process.env.HF_ENDPOINT = hub.url;
  process.env.ANALYSIS_OPTIONS ??= 'mp_fit,detX,randomize';
  delete process.env.HF_TOKEN;
  log(`seed: stand-in Hub with ${repos.length} demo repos at ${hub.url}`);

  const { planRevision } = await import('@/jobs/plan');
  const { analyzeModel } = await import('@/jobs/analyze-model');
  const { stopQueue } = await import('@/jobs/queue');
  const { closeComputePool } = await import('@/jobs/compute-pool');
  const { closeDb, getDb } = await import('@/db/client');
  const { importBenchmarkScores, parseBenchmarkFile } = await import('@/jobs/import-benchmarks');
  const { analyses, revisions } = await import('@/db/schema');
  const { asc, eq, inArray } = await import('drizzle-orm');
  type RunData = Parameters<typeof analyzeModel>[0];
  /** A run stops at the end of its time slice ('continued'); the next one resumes at the first missing row. */
  const runToEnd = async (data: RunData) => {
    let outcome = 'continued';
    for (let i = 0; i < 20 && outcome === 'continued'; i++) outcome = await analyzeModel(data);
    return outcome;
  };
  try {
    for (const repo of repos) {
      // An adapter repo gets an adapter analysis (its main analysis) instead of a model analysis.
      const refs = repo.id === DEMO_SERIES.repo ? [...DEMO_SERIES.refs] : ['main'];
      for (const ref of refs) {
        const t0 = Date.now();
        const planned = await planRevision({ repoId: repo.id, ref, source: 'demo' });
        const outcome = await runToEnd({ repoId: planned.repoId, sha: planned.sha, ref, analysisId: planned.analysis.id, optionsKey: planned.analysis.optionsKey });
        log(`seed: ${repo.id}@${ref}${repo.adapter ? ' (adapter)' : ''}: ${outcome} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
    // Delta analyses planned next to the fine-tunes' own analyses (jobs/plan-delta.ts) wait in the queue: run them.
    const db = await getDb();
    const pending = await db
      .select({ id: analyses.id, kind: analyses.kind, optionsKey: analyses.optionsKey, modelId: analyses.modelId, sha: revisions.sha, ref: revisions.ref })
      .from(analyses)
      .innerJoin(revisions, eq(revisions.id, analyses.revisionId))
      .where(inArray(analyses.status, ['queued', 'running']))
      .orderBy(asc(analyses.id));
    for (const a of pending) {
      const t0 = Date.now();
      const outcome = await runToEnd({ repoId: a.modelId, sha: a.sha, ref: a.ref, analysisId: a.id, optionsKey: a.optionsKey, kind: a.kind });
      log(`seed: ${a.modelId} ${a.kind} analysis ${a.id}: ${outcome} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const file = path.join(root, 'e2e/fixtures/benchmarks.csv');
    const rows = parseBenchmarkFile(file, fs.readFileSync(file, 'utf8'));
    await importBenchmarkScores({ rows, source: 'e2e fixture' });
    log(`seed: ${rows.length} benchmark scores imported`);
  } finally {
    await stopQueue(5000).catch(() => {});
    await closeComputePool().catch(() => {});
    await closeDb();
    await hub.close();
  }
  fs.writeFileSync(path.join(dataDir, '.seeded'), `${new Date().toISOString()} ${SEED_VERSION}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npx tsx e2e/seed.ts <data-dir>');
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  seedDemoDatabase(dir).then(
    () => process.exit(0),
    (err) => {
      console.error('seed failed:', err);
      process.exit(1);
    },
  );
}
