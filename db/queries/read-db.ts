import type { SQL } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';

/**
 * Raw rows of one SQL statement, on PGlite or node-postgres (both return `{ rows }`).
 * Raw rows keep column names as written in the SQL; cast int8/numeric to int/float8 in SQL, since the drivers
 * return those as strings or bigints.
 */
export async function selectRows<T>(query: SQL): Promise<T[]> {
  const db = await getDb();
  const res = (await db.execute(query)) as unknown as { rows: T[] } | T[];
  return Array.isArray(res) ? res : res.rows;
}

export async function readDb(): Promise<Db> {
  return getDb();
}

/** ISO string of a timestamp column, or null. */
export function iso(value: unknown): string | null {
  if (value == null) return null;
  const d = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A finite number or null (jsonb / float8 columns may hold NaN or null). */
export function num(value: unknown): number | null {
  if (value == null) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
