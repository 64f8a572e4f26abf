import { closeDb } from '@/db/client';

/**
 * Starts the pg-boss queue and the analysis workers inside the test process (as the embedded server does), with
 * `env` applied on top of process.env and DATABASE_URL removed. Returns the function that stops them again.
 */
export async function startInProcessWorkers(env: Record<string, string>): Promise<() => Promise<void>> {
  Object.assign(process.env, env);
  delete process.env.DATABASE_URL;
  const { getQueue, stopQueue } = await import('../queue');
  const { startWorkers } = await import('../work');
  const { closeComputePool } = await import('../compute-pool');
  await startWorkers(await getQueue());
  return async () => {
    await stopQueue(5000);
    await closeComputePool();
    await closeDb();
  };
}
