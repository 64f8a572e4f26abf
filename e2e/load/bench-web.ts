import fs from 'node:fs';
import path from 'node:path';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from '@/jobs/testing/postgres-cluster';
import { longTailPass } from './long-tail';
import { longTailTargets } from './long-tail-urls';
import { repeatPasses } from './repeat-passes';
import { runNext, type BenchDb } from './server';

/**
 * `npm run bench:web`: the web tier under load. Seeds BENCH_MODELS models × BENCH_LAYERS layers (seed-bench.ts) into
 * each database, prints the seed time and the storage (every table of schema public, pg_total_relation_size, and
 * bytes per layer row), builds the app when sources changed, starts `next start` on a free port, and runs
 * autocannon against the API and the pages, printing requests/s and p50/p99 latency per target.
 *
 * Databases: embedded PGlite (e2e/.artifacts/bench-data) always; when PostgreSQL is installed
 * (/usr/lib/postgresql/<v>/bin) also a throwaway cluster (jobs/testing/postgres-cluster.ts), served by
 * `next start` with DATABASE_URL and WEB_ONLY=1. Each database is seeded and measured in turn.
 *
 * Modes (BENCH_MODE):
 * - `long-tail` (default): READ_CACHE_TTL_MS=0 (the per-URL read cache and body memo off), and every request a
 *   different URL: /api/v1/models?<query> and /?<query> with 1,000 distinct seeded leaderboard queries each,
 *   /api/v1/models/{id}/layers and /models/{id} for 1,000 distinct models spread over all seeded ones, shuffled
 *   (long-tail-urls.ts). The connections walk each list with one shared counter, so no two ask for the same URL at
 *   once. Per target: ~3 s warm-up, then BENCH_SECONDS measured. Targets on a 2-core machine: /api/v1/models
 *   ≥ 300 req/s with p99 < 100 ms; layers ≥ 200 req/s with p99 < 150 ms; / and model pages p99 < 300 ms.
 *   Any non-2xx (a 404 means the URL list is wrong) is printed with its status.
 * - `repeat`: the original passes on the same 5 URLs (repeat-passes.ts): the default configuration (short-lived
 *   read cache + body memo, as served), then the flood pass (default budgets: autocannon flooding /api/v1/models
 *   from 127.0.0.1 while a normal client on 127.0.0.2 reads at a human pace), then the uncached pass
 *   (READ_CACHE_TTL_MS=0). Targets: /api/v1/models ≥ 300 req/s with p99 < 100 ms; pages p99 < 300 ms.
 * Throughput passes run with the proxy's rate limiter on (proxy.ts) and budgets raised above the load, so the
 * figures include the limiter's cost, not its refusals; `RATE_LIMIT=off` gives them without the limiter.
 *
 * Options (env): BENCH_MODE (long-tail | repeat), BENCH_DB (embedded | postgres | both; default: both when
 * PostgreSQL is installed in long-tail mode, embedded in repeat mode), BENCH_MODELS (1000; 10000 works: ids are
 * padded to the model count's digits), BENCH_LAYERS (300), BENCH_SECONDS (10), BENCH_CONNECTIONS (10),
 * BENCH_WARMUP_SECONDS (3, long tail), BENCH_URLS (1000 distinct URLs per long-tail target), BENCH_MOE_MODELS (20
 * Mixtral-like models of 2,000 rows each: a fifth long-tail target, their pages);
 * repeat mode: BENCH_SKIP_UNCACHED=1, BENCH_SKIP_FLOOD=1.
 */

const ROOT = process.cwd();
const DATA = path.join(ROOT, 'e2e/.artifacts/bench-data');
const MODE = process.env.BENCH_MODE || 'long-tail';
const MODELS = Number(process.env.BENCH_MODELS ?? 1000);
/** Mixtral-like models of 2,000 rows each, for the model page at MoE size (0: none). */
const MOE_MODELS = Number(process.env.BENCH_MOE_MODELS ?? 20);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const URLS = Number(process.env.BENCH_URLS ?? 1000);

function chooseDatabases(): ('embedded' | 'postgres')[] {
  const asked = process.env.BENCH_DB || (MODE === 'repeat' || !findPostgresBin() ? 'embedded' : 'both');
  if (!['embedded', 'postgres', 'both'].includes(asked)) throw new Error(`BENCH_DB must be embedded, postgres or both, got "${asked}"`);
  if (asked !== 'embedded' && !findPostgresBin()) throw new Error(`BENCH_DB=${asked} needs PostgreSQL (apt-get install -y postgresql)`);
  return asked === 'both' ? ['embedded', 'postgres'] : [asked as 'embedded' | 'postgres'];
}

/** Seed the database the process environment points at (DATABASE_URL or DATA_DIR) and report; closes the handle. */
async function seed(db: BenchDb): Promise<string> {
  const { seedBenchData } = await import('./seed-bench');
  const { closeDb, getDb } = await import('@/db/client');
  const { storageReport, formatStorage } = await import('./storage-report');
  // getDb caches one handle per process on globalThis; closeDb drops it, so the next database opens afresh.
  await closeDb();
  if (db.kind === 'postgres') process.env.DATABASE_URL = db.url;
  else delete process.env.DATABASE_URL;
  process.env.DATA_DIR = db.dataDir;
  try {
    const t0 = Date.now();
    await getDb();
    const t1 = Date.now();
    await seedBenchData({ models: MODELS, layers: LAYERS, moeModels: MOE_MODELS });
    const t2 = Date.now();
    const text = [
      `\n${db.label}: seeded ${MODELS} models × ${LAYERS} layers in ${((t2 - t1) / 1000).toFixed(1)} s (opening and migrating: ${((t1 - t0) / 1000).toFixed(1)} s)`,
      formatStorage(await storageReport()),
    ].join('\n');
    console.log(text);
    return text;
  } finally {
    await closeDb();
    delete process.env.DATABASE_URL;
  }
}

async function buildIfNeeded() {
  const { needsBuild } = await import('@/jobs/start');
  if (!needsBuild(ROOT)) return;
  console.log('building the app (next build)...');
  const build = runNext(['build'], Object.assign({}, process.env, { NODE_ENV: 'production' }));
  const code = await new Promise<number>((r) => build.once('exit', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`next build failed (${code})`);
}

async function main() {
  if (MODE !== 'long-tail' && MODE !== 'repeat') throw new Error(`BENCH_MODE must be long-tail or repeat, got "${MODE}"`);
  const kinds = chooseDatabases();
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  const { benchModelId } = await import('./seed-bench');
  const targets = longTailTargets(MODELS, URLS, undefined, MOE_MODELS);
  const report: string[] = [];
  console.log(`bench:web, ${MODE} mode: ${kinds.join(' and ')}; ${MODELS} models × ${LAYERS} layers`);
  for (const kind of kinds) {
    let cluster: PostgresCluster | undefined;
    try {
      let db: BenchDb;
      if (kind === 'postgres') {
        cluster = await startPostgresCluster();
        db = { kind, url: cluster.url, dataDir: path.join(DATA, 'postgres-web'), label: `PostgreSQL (${path.basename(path.dirname(findPostgresBin()!))}, throwaway cluster)` };
      } else {
        db = { kind, dataDir: path.join(DATA, 'pglite'), label: 'embedded PGlite' };
      }
      report.push(await seed(db));
      await buildIfNeeded();
      if (MODE === 'repeat') await repeatPasses(db, { seconds: SECONDS, connections: CONNECTIONS, modelId: benchModelId(1, MODELS) });
      else report.push(await longTailPass(db, targets, { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS }));
    } finally {
      await cluster?.stop();
    }
  }
  if (MODE === 'long-tail' && kinds.length > 1) console.log(`\n===== summary =====${report.join('\n')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench:web failed:', err);
    process.exit(1);
  },
);
