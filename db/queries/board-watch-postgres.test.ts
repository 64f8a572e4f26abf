import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from '@/jobs/testing/postgres-cluster';

/**
 * On PostgreSQL the web tier's caches learn of changes other processes commit through LISTEN/NOTIFY. A write made
 * on another connection (a worker on another machine) is visible on the very next read, a lost listening connection
 * sends reads to SQL until the subscription is back, and caches are rebuilt after it.
 * Skipped, saying so, when PostgreSQL is not installed (`.ci/run` installs it).
 */

vi.mock('server-only', () => ({}));

const PG = findPostgresBin();
if (!PG) console.warn('board-watch-postgres.test.ts skipped: PostgreSQL is not installed (apt-get install -y postgresql)');

let cluster: PostgresCluster;

describe.skipIf(!PG)('board watch on PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster();
    process.env.DATABASE_URL = cluster.url;
    process.env.READ_CACHE_TTL_MS = '0';
    delete process.env.BOARD_CACHE;
    const { seedSampleBoard } = await import('./testing/sample-data');
    await seedSampleBoard();
  }, 120_000);

  afterAll(async () => {
    const { stopBoardWatch } = await import('./board-watch');
    const { closeDb } = await import('@/db/client');
    await stopBoardWatch();
    await closeDb();
    await cluster?.stop();
    delete process.env.DATABASE_URL;
  });

  it('shows a change committed by another connection on the very next read, 50 times in a row', async () => {
    const pg = (await import('pg')).default;
    const { listLeaderboard } = await import('./leaderboard');
    const { getModelDetail } = await import('./model-detail');
    const { leaderboardParamsSchema } = await import('./leaderboard-params');
    const { boardWatch } = await import('./board-watch');
    const view = leaderboardParamsSchema.parse({ q: 'sample/llama-mini-chat' });
    expect(await boardWatch()).not.toBeNull();
    await listLeaderboard(view);
    await getModelDetail({ id: 'sample/llama-mini-chat' });
    const other = new pg.Client({ connectionString: cluster.url });
    await other.connect();
    try {
      for (let i = 1; i <= 50; i++) {
        await other.query(`UPDATE models SET downloads = $1 WHERE id = 'sample/llama-mini-chat'`, [i]);
        expect((await listLeaderboard(view)).rows[0].downloads).toBe(i);
        expect((await getModelDetail({ id: 'sample/llama-mini-chat' }))!.model.downloads).toBe(i);
      }
      // A base's page lists its fine-tunes' delta analyses: a change to the fine-tune reaches the base's cached detail.
      await getModelDetail({ id: 'sample/llama-mini' });
      await other.query(`UPDATE models SET base_model = NULL WHERE id = 'sample/llama-mini-chat'`);
      expect((await getModelDetail({ id: 'sample/llama-mini' }))!.fineTunes).not.toContain('sample/llama-mini-chat');
    } finally {
      await other.end();
    }
  });

  it('reads SQL while the listening connection is lost, then subscribes again', async () => {
    const pg = (await import('pg')).default;
    const { listLeaderboard } = await import('./leaderboard');
    const { leaderboardParamsSchema } = await import('./leaderboard-params');
    const { boardWatch } = await import('./board-watch');
    const view = leaderboardParamsSchema.parse({ q: 'sample/falcon-mini' });
    expect(await boardWatch()).not.toBeNull();
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' OR query = 'SELECT 1'`);
      await expect.poll(async () => (await boardWatch()) === null, { timeout: 5000 }).toBe(true);
      await admin.query(`UPDATE models SET likes = 4242 WHERE id = 'sample/falcon-mini'`);
      expect((await listLeaderboard(view)).rows[0].likes).toBe(4242);
      await expect.poll(async () => (await boardWatch()) !== null, { timeout: 10_000 }).toBe(true);
      await admin.query(`UPDATE models SET likes = 4343 WHERE id = 'sample/falcon-mini'`);
      expect((await listLeaderboard(view)).rows[0].likes).toBe(4343);
      expect(errors.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/board change notifications lost/);
    } finally {
      errors.mockRestore();
      await admin.end();
    }
  });
});
