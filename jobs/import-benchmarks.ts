import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';

/**
 * `npm run import:benchmarks -- scores.csv|scores.json [--source NAME]`: external evaluation scores
 * (model id -> benchmark -> score) into `benchmark_scores`, upserted per (model, benchmark).
 *
 * Accepted shapes:
 * - CSV, long: a header with `model` (or `model_id`, `id`, `fullname`), `benchmark` and `score` columns.
 * - CSV, wide (as the Open LLM Leaderboard contents export): a `model`-like column and one numeric column per
 *   benchmark; non-numeric columns are ignored.
 * - JSON: `{ "owner/name": { "benchmark": score } }` or `[{ "model", "benchmark", "score" }]`.
 * Model ids must look like `owner/name`; scores must be finite numbers. Bad rows are reported with their line
 * and the whole file is refused, so nothing half-imported is left behind.
 */

export interface BenchmarkRow {
  modelId: string;
  benchmark: string;
  score: number;
}

export class BenchmarkFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchmarkFileError';
  }
}

const MODEL_COLUMNS = ['model', 'model_id', 'id', 'fullname', 'model_name', 'repo'];
const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

function toScore(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value.trim().replace(/%$/, ''));
  return Number.isFinite(n) ? n : null;
}

function checkRow(row: BenchmarkRow, where: string): BenchmarkRow {
  if (!REPO_ID.test(row.modelId)) throw new BenchmarkFileError(`${where}: model id "${row.modelId}" is not of the form owner/name`);
  if (!row.benchmark) throw new BenchmarkFileError(`${where}: empty benchmark name`);
  return row;
}

export function parseBenchmarkCsv(text: string): BenchmarkRow[] {
  const records = parse(text, { columns: (h: string[]) => h.map((c) => c.trim()), skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  if (records.length === 0) return [];
  const columns = Object.keys(records[0]);
  const modelCol = columns.find((c) => MODEL_COLUMNS.includes(c.toLowerCase()));
  if (!modelCol) throw new BenchmarkFileError(`CSV header has no model column (one of ${MODEL_COLUMNS.join(', ')}); found ${columns.join(', ')}`);
  const lower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  const long = lower.has('benchmark') && lower.has('score');
  const out: BenchmarkRow[] = [];
  records.forEach((rec, i) => {
    const where = `line ${i + 2}`;
    const modelId = rec[modelCol];
    if (long) {
      const score = toScore(rec[lower.get('score')!]);
      if (score === null) throw new BenchmarkFileError(`${where}: score "${rec[lower.get('score')!]}" is not a number`);
      out.push(checkRow({ modelId, benchmark: rec[lower.get('benchmark')!], score }, where));
      return;
    }
    for (const col of columns) {
      if (col === modelCol) continue;
      const score = toScore(rec[col]);
      if (score !== null) out.push(checkRow({ modelId, benchmark: col, score }, where));
    }
  });
  return out;
}

export function parseBenchmarkJson(text: string): BenchmarkRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BenchmarkFileError(`not valid JSON: ${(err as Error).message}`);
  }
  const out: BenchmarkRow[] = [];
  if (Array.isArray(data)) {
    data.forEach((item, i) => {
      const rec = item as Record<string, unknown>;
      const score = toScore(rec?.score);
      if (score === null) throw new BenchmarkFileError(`item ${i}: score ${JSON.stringify(rec?.score)} is not a number`);
      out.push(checkRow({ modelId: String(rec.model ?? rec.model_id ?? rec.id ?? ''), benchmark: String(rec.benchmark ?? ''), score }, `item ${i}`));
    });
    return out;
  }
  if (data && typeof data === 'object') {
    for (const [modelId, scores] of Object.entries(data as Record<string, unknown>)) {
      if (!scores || typeof scores !== 'object') throw new BenchmarkFileError(`"${modelId}": expected an object of benchmark -> score`);
      for (const [benchmark, value] of Object.entries(scores as Record<string, unknown>)) {
        const score = toScore(value);
        if (score === null) throw new BenchmarkFileError(`"${modelId}"."${benchmark}": ${JSON.stringify(value)} is not a number`);
        out.push(checkRow({ modelId, benchmark, score }, `"${modelId}"`));
      }
    }
    return out;
  }
  throw new BenchmarkFileError('expected an object or an array at the top level');
}

export function parseBenchmarkFile(file: string, text: string): BenchmarkRow[] {
  return path.extname(file).toLowerCase() === '.json' ? parseBenchmarkJson(text) : parseBenchmarkCsv(text);
}

/** Upsert rows in one transaction; returns how many were written. */
export async function importBenchmarkScores({ rows, source }: { rows: BenchmarkRow[]; source: string }): Promise<number> {
  const { getDb } = await import('@/db/client');
  const { benchmarkScores } = await import('@/db/schema');
  const db = await getDb();
  // Last value wins for duplicate (model, benchmark) pairs within a file.
  const unique = new Map(rows.map((r) => [`${r.modelId}\u0000${r.benchmark}`, r]));
  const values = [...unique.values()].map((r) => ({ modelId: r.modelId, benchmark: r.benchmark, score: r.score, source }));
  await db.transaction(async (tx) => {
    for (let i = 0; i < values.length; i += 500) {
      await tx
        .insert(benchmarkScores)
        .values(values.slice(i, i + 500))
        .onConflictDoUpdate({
          target: [benchmarkScores.modelId, benchmarkScores.benchmark],
          set: { score: sql`excluded.score`, source: sql`excluded.source`, importedAt: sql`now()` },
        });
    }
  });
  return values.length;
}

async function main(argv: string[]) {
  const args = argv.filter((a) => a !== '--');
  const sourceAt = args.indexOf('--source');
  const source = sourceAt >= 0 ? args[sourceAt + 1] : undefined;
  const files = args.filter((a, i) => !a.startsWith('--') && (sourceAt < 0 || i !== sourceAt + 1));
  if (files.length !== 1) {
    console.error('usage: npm run import:benchmarks -- <scores.csv|scores.json> [--source NAME]');
    process.exit(2);
  }
  const file = files[0];
  const text = fs.readFileSync(file, 'utf8');
  const rows = parseBenchmarkFile(file, text);
  const n = await importBenchmarkScores({ rows, source: source ?? path.basename(file) });
  const models = new Set(rows.map((r) => r.modelId)).size;
  const benchmarks = new Set(rows.map((r) => r.benchmark)).size;
  console.log(`imported ${n} scores (${models} models x ${benchmarks} benchmarks) from ${file}`);
  const { closeDb } = await import('@/db/client');
  await closeDb();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`import:benchmarks: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
