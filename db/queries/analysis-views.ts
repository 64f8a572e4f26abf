import { sql } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { selectRows } from './read-db';

/**
 * Stored derived views of done analyses (table `analysis_views`): written once when an analysis finishes (or on the
 * first read of an older one), read by primary key. A done analysis never changes, so neither do its views; a view
 * written by an older derivation (`version`) is ignored and replaced.
 */

export interface StoredView {
  data: string | null;
  blob: Uint8Array | null;
}

export async function readStoredView(analysisId: number, kind: string, version: number): Promise<StoredView | null> {
  // Bytes travel as base64 text: PGlite decodes bytea's hex text form several times slower (5-8 ms for 80 kB).
  const [row] = await selectRows<{ data: string | null; blob64: string | null }>(sql`
    SELECT data, encode(blob, 'base64') AS blob64 FROM analysis_views
    WHERE analysis_id = ${analysisId} AND kind = ${kind} AND version = ${version}`);
  if (!row) return null;
  return { data: row.data, blob: row.blob64 === null ? null : Buffer.from(row.blob64, 'base64') };
}

export async function writeStoredView(analysisId: number, kind: string, version: number, view: StoredView): Promise<void> {
  const db = await getDb();
  // Only for an analysis that is (still) done: a deleted or re-queued one stores nothing.
  await db.execute(sql`
    INSERT INTO analysis_views (analysis_id, kind, version, data, blob)
    SELECT ${analysisId}, ${kind}, ${version}, ${view.data}, ${view.blob}::bytea
    WHERE EXISTS (SELECT 1 FROM analyses WHERE id = ${analysisId} AND status = 'done')
    ON CONFLICT (analysis_id, kind) DO UPDATE SET version = excluded.version, data = excluded.data, blob = excluded.blob`);
}
