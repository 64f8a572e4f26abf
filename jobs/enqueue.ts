import { closeDb, databaseUrl, getDbHandle } from '@/db/client';
import { DatabaseInUseError } from '@/db/lock';
import { enqueueRepo } from './enqueue-repo';
import { getQueue, stopQueue } from './queue';
import { parseRepoSpec } from './watchlist';

/**
 * `npm run enqueue -- owner/name[@rev] [...]`: add repos to the watchlist and queue their analysis. Works against
 * DATABASE_URL, or the embedded folder when no server holds it (a running `npm start` owns it: then use
 * `POST /api/v1/analyses` with the admin token instead).
 */
async function main(): Promise<number> {
  const specs = process.argv.slice(2).filter((a) => a !== '--');
  if (specs.length === 0) {
    console.error('usage: npm run enqueue -- owner/name[@revision] [owner/name[@revision] ...]');
    return 2;
  }
  const parsed = specs.map((s) => parseRepoSpec(s));
  try {
    await getDbHandle();
  } catch (err) {
    if (err instanceof DatabaseInUseError && !databaseUrl()) {
      console.error(
        `${err.message}.\nA running server owns the embedded database: enqueue through it with\n` +
          `  curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \\\n` +
          `       -d '{"repo":"${parsed[0].repoId}"}' http://localhost:${process.env.PORT ?? 3000}/api/v1/analyses`,
      );
      return 1;
    }
    throw err;
  }
  // A one-shot producer: no maintenance or cron clock of its own.
  await getQueue({ supervise: false, schedule: false });
  let failures = 0;
  for (const p of parsed) {
    try {
      const r = await enqueueRepo({ repoId: p.repoId, revision: p.revision });
      console.log(`${r.repoId}@${r.ref} -> ${r.sha.slice(0, 12)}: analysis ${r.analysisId} ${r.status}${r.created ? ' (new)' : ''}`);
    } catch (err) {
      failures++;
      console.error(`${p.repoId}${p.revision ? `@${p.revision}` : ''}: ${(err as Error).message}`);
    }
  }
  await stopQueue();
  await closeDb();
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`enqueue: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
