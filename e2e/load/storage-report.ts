import { getSql } from '@/db/client';

/**
 * What the seeded database occupies: every table of schema public (found through pg_tables, so tables added later
 * count too) with pg_total_relation_size (heap, TOAST and indexes), summed, and the layers relation per row.
 * Runs on the bench process's open handle (PGlite or PostgreSQL).
 */
export interface StorageReport {
  totalBytes: number;
  tables: { name: string; bytes: number }[];
  layerRows: number;
  bytesPerLayerRow: number;
}

export async function storageReport(): Promise<StorageReport> {
  const sql = await getSql();
  const { rows } = await sql.query(
    `SELECT tablename AS name, pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)::float8 AS bytes
     FROM pg_tables WHERE schemaname = 'public' ORDER BY 2 DESC, 1`,
  );
  const tables = rows.map((r) => ({ name: String(r.name), bytes: Number(r.bytes) }));
  const layerRows = Number((await sql.query('SELECT count(*)::float8 AS n FROM layers')).rows[0].n);
  const layersBytes = tables.find((t) => t.name === 'layers')?.bytes ?? 0;
  return {
    totalBytes: tables.reduce((s, t) => s + t.bytes, 0),
    tables,
    layerRows,
    bytesPerLayerRow: layerRows ? layersBytes / layerRows : NaN,
  };
}

const mb = (bytes: number) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(0)} kB` : `${bytes} B`;

export function formatStorage(r: StorageReport): string {
  const biggest = r.tables.filter((t) => t.bytes > 0).slice(0, 8);
  const rest = r.tables.slice(biggest.length).reduce((s, t) => s + t.bytes, 0);
  return [
    `storage: ${mb(r.totalBytes)} in ${r.tables.length} tables of schema public (pg_total_relation_size, incl. TOAST and indexes)`,
    `  ${biggest.map((t) => `${t.name} ${mb(t.bytes)}`).join(', ')}${rest ? `, the other ${r.tables.length - biggest.length} ${mb(rest)}` : ''}`,
    `  layers: ${r.layerRows.toLocaleString('en-US')} rows, ${r.bytesPerLayerRow.toFixed(0)} bytes per row (relation incl. indexes / rows)`,
  ].join('\n');
}
