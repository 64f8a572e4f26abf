/**
 * Next.js start-up hook. In the Node.js runtime it starts the jobs in process (embedded mode: this server owns
 * the database and runs the queue, workers and schedule), unless
 * - `ALPHABOARD_WORKER=off`, or
 * - `DATABASE_URL` is set with `WEB_ONLY=1` (scale-out: separate `npm run worker` processes do the work).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  // `next build` loads this module too; it must not open (and lock) the database.
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  // Request timing for /metrics, and the TCP peer address the rate limiter (proxy.ts) keys on.
  (await import('./jobs/metrics')).installHttpObserver();
  const embedded = await import('./jobs/embedded');
  const webOnly = process.env.ALPHABOARD_WORKER === 'off' || (!!process.env.DATABASE_URL && process.env.WEB_ONLY === '1');
  try {
    if (webOnly) await embedded.startWebOnly();
    else await embedded.startEmbedded();
    // Load the leaderboard snapshot and start listening for changes now, so the first visitor does not wait for it.
    void import('./db/queries/leaderboard')
      .then((m) => m.warmLeaderboard())
      .catch((err) => console.error(`alphaboard: leaderboard snapshot not preloaded: ${(err as Error).message}`));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`alphaboard: jobs not started: ${message}`);
    // A locked database folder leaves this server unable to serve anything: stop instead of half-running.
    if ((err as Error)?.name === 'DatabaseInUseError') process.exit(1);
  }
}
