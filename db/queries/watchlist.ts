import { eq } from 'drizzle-orm';
import { getDb } from '../client';
import { watchlist, type WatchlistEntry } from '../schema';

/** Repos added through the admin API or `npm run enqueue`, beside the file watchlist (jobs/watchlist.ts). */

/** Add a repo (and optionally revisions to analyse as a series); revisions merge with those already listed. */
export async function addToWatchlist(params: { repoId: string; revisions?: string[] }): Promise<WatchlistEntry> {
  const db = await getDb();
  const revs = params.revisions ?? [];
  const [existing] = await db.select().from(watchlist).where(eq(watchlist.repoId, params.repoId));
  const merged = existing ? [...new Set([...existing.revisions, ...revs])] : revs;
  const [row] = await db
    .insert(watchlist)
    .values({ repoId: params.repoId, revisions: merged })
    .onConflictDoUpdate({ target: watchlist.repoId, set: { revisions: merged } })
    .returning();
  return row;
}

export async function listWatchlistEntries(): Promise<WatchlistEntry[]> {
  const db = await getDb();
  return db.select().from(watchlist).orderBy(watchlist.addedAt);
}
