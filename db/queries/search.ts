import 'server-only';
import { sql } from 'drizzle-orm';
import { selectRows } from './read-db';

export interface SearchHit {
  id: string;
  family: string | null;
  parameterCount: number | null;
  status: string | null;
}

/**
 * Type-ahead model search: case-insensitive substring of the repo id; prefix matches of the name or the id first,
 * then shorter ids. Bounded by `limit` (max 50).
 */
export async function searchModels({ q, limit = 10 }: { q: string; limit?: number }): Promise<SearchHit[]> {
  const term = q.trim().slice(0, 200);
  const n = Math.min(Math.max(1, limit), 50);
  const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const prefix = `${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await selectRows<{ id: string; family: string | null; parameter_count: number | null; status: string | null }>(sql`
    SELECT m.id, m.family, m.parameter_count::float8 AS parameter_count,
      (SELECT a.status FROM analyses a WHERE a.model_id = m.id AND a.kind <> 'delta' ORDER BY a.id DESC LIMIT 1) AS status
    FROM models m
    WHERE m.id ILIKE ${like}
    ORDER BY (m.name ILIKE ${prefix} OR m.id ILIKE ${prefix}) DESC, length(m.id), m.id
    LIMIT ${n}`);
  return rows.map((r) => ({ id: r.id, family: r.family, parameterCount: r.parameter_count == null ? null : Number(r.parameter_count), status: r.status }));
}
