import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Fills a fresh embedded database with real analyses for the e2e tests: generates the synthetic demo checkpoints,
 * serves them from the stand-in Hub, and runs the real pipeline (planRevision → analyzeModel: range reads,
 * safetensors decoding, eigenvalues, power-law fits, layer and ESD storage, summaries) for every demo repo,
 * including the checkpoint series. Then imports benchmark scores from e2e/fixtures/benchmarks.csv.
 *
 * Usage: `npx tsx e2e/seed.ts <data-dir>` (the folder must not exist or be empty). Writes `<data-dir>/.seeded`
 * when complete, so callers can reuse a seeded folder.
 */

/** Written into `.seeded`; a seeded folder without it is seeded again (e2e/serve.ts). Bump when the seed changes. */
export const SEED_VERSION = 'seed-v2-checkpoint-samples';

export async function seedDemoDatabase(dataDir: string, log: (s: string) => void = console.log): Promise<void> {
  const root = process.cwd();
  process.env.DATA_DIR = path.resolve(dataDir, 'pglite');
  delete process.env.DATABASE_URL;
  const hubDir = path.join(root, 'e2e/.artifacts/hub');
  const { generateDemoCheckpoints, DEMO_DENSE_REPO_IDS, DEMO_SERIES } = await import('@/lib/hub-stand-in/demo-models');
  const { startStandInHub } = await import('@/lib/hub-stand-in/server');
  // the e2e specs count on the six dense safetensors demo repos (the pickle, PR, MoE and mirror repos are not seeded)
  const repos = await generateDemoCheckpoints(hubDir, { only: [...DEMO_DENSE_REPO_IDS] });
  const hub = await startStandInHub({ root: hubDir, port: 0 });
  process.env.HF_ENDPOINT = hub.url;
  process.env.ANALYSIS_OPTIONS ??= 'mp_fit,detX,randomize';
  delete process.env.HF_TOKEN;
  log(`seed: stand-in Hub with ${repos.length} demo repos at ${hub.url}`);

  const { planRevision } = await import('@/jobs/plan');
  const { analyzeModel } = await import('@/jobs/analyze-model');
  const { stopQueue } = await import('@/jobs/queue');
  const { closeComputePool } = await import('@/jobs/compute-pool');
  const { closeDb } = await import('@/db/client');
  const { importBenchmarkScores, parseBenchmarkFile } = await import('@/jobs/import-benchmarks');
  try {
    for (const repo of repos) {
      const refs = repo.id === DEMO_SERIES.repo ? [...DEMO_SERIES.refs] : ['main'];
      for (const ref of refs) {
        const t0 = Date.now();
        const planned = await planRevision({ repoId: repo.id, ref, source: 'demo' });
        let outcome = 'continued';
        for (let i = 0; i < 20 && outcome === 'continued'; i++) {
          outcome = await analyzeModel({ repoId: planned.repoId, sha: planned.sha, ref, analysisId: planned.analysis.id, optionsKey: planned.analysis.optionsKey });
        }
        log(`seed: ${repo.id}@${ref}: ${outcome} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
    const file = path.join(root, 'e2e/fixtures/benchmarks.csv');
    const rows = parseBenchmarkFile(file, fs.readFileSync(file, 'utf8'));
    await importBenchmarkScores({ rows, source: 'e2e fixture' });
    log(`seed: ${rows.length} benchmark scores imported`);
    // Fixture models (written, not analysed) for the model page's checkpoint line, MoE experts and mirror banner:
    // a pytorch_model.bin, a Mixtral-style MoE and a mirror of the trained Llama (e2e/checkpoint-formats.spec.ts).
    const { seedCheckpointSamples } = await import('@/db/queries/testing/sample-data');
    const samples = await seedCheckpointSamples({ mirrorOf: 'demo/llama-mini-trained' });
    log(`seed: fixture models ${Object.values(samples).join(', ')}`);
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
