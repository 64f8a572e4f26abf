import 'server-only';
import { sql, type SQL } from 'drizzle-orm';
import type { AnalysisStatus } from '@/db/schema';
import type { ModelStats } from '@/lib/types';
import { claimTimings } from '@/jobs/claims';
import { defaultDir, MODEL_TYPES, type LeaderboardParams, type ModelType, type SortKey } from './leaderboard-params';
import type { SnapshotEntry } from './board-snapshot';
import { BoardSnapshot } from './board-snapshot';
import { boardWatch, type BoardWatch } from './board-watch';
import { readThrough } from './read-cache';
import { iso, num, selectRows } from './read-db';

/**
 * The leaderboard: one row per model with its current analysis, filtered, sorted and paginated in SQL.
 *
 * "Current analysis" = the latest (highest id) analysis that is done or running; a model with neither shows its
 * latest queued/failed one, so failures stay visible. The summary is the analysis' stored ModelStats jsonb, so
 * a page costs one scan of models + analyses (no layer rows) and holds at thousands of models.
 */

export interface LeaderboardRow {
  id: string;
  owner: string;
  name: string;
  family: string | null;
  architecture: string | null;
  parameterCount: number | null;
  dtype: string | null;
  license: string | null;
  gated: boolean;
  downloads: number | null;
  likes: number | null;
  synthetic: boolean;
  baseModel: string | null;
  /** model | fine-tune | adapter (see MODEL_TYPES in ./leaderboard-url). */
  type: ModelType;
  status: AnalysisStatus | null;
  analysisId: number | null;
  /** `waitingToResume`: running, but its worker stopped heart-beating; it resumes at the first missing layer. */
  progress: { layersDone: number; layersTotal: number | null; waitingToResume: boolean } | null;
  error: string | null;
  revision: { sha: string; ref: string; step: number | null } | null;
  analysedAt: string | null;
  summary: ModelStats | null;
  benchmarks: Record<string, number>;
}

export interface LeaderboardPage {
  rows: LeaderboardRow[];
  total: number;
  page: number;
  pageSize: number;
  sort: SortKey;
  dir: 'asc' | 'desc';
}

const summaryNum = (field: string) => sql`(l.summary->>${sql.raw(`'${field}'`)})::float8`;

const SORT_SQL: Record<string, SQL> = {
  model: sql`m.id COLLATE "C"`,
  family: sql`m.family COLLATE "C"`,
  architecture: sql`m.architecture COLLATE "C"`,
  params: sql`m.parameter_count`,
  dtype: sql`m.dtype COLLATE "C"`,
  license: sql`m.license COLLATE "C"`,
  gated: sql`(m.gated IS NOT NULL AND m.gated NOT IN ('false', ''))`,
  layers: summaryNum('layers_analyzed'),
  alpha: summaryNum('alpha'),
  median_alpha: summaryNum('median_alpha'),
  alpha_weighted: summaryNum('alpha_weighted'),
  log_alpha_norm: summaryNum('log_alpha_norm'),
  log_spectral_norm: summaryNum('log_spectral_norm'),
  mean_D: summaryNum('mean_D'),
  share_alpha_lt_2: summaryNum('share_alpha_lt_2'),
  share_alpha_gt_6: summaryNum('share_alpha_gt_6'),
  traps: summaryNum('correlation_traps'),
  revision: sql`r.ref COLLATE "C"`,
  analysed_at: sql`coalesce(l.finished_at, l.updated_at)`,
  status: sql`l.status COLLATE "C"`,
  downloads: sql`m.downloads`,
  likes: sql`m.likes`,
};

function orderBy(sort: SortKey, dir: 'asc' | 'desc'): SQL {
  const expr = sort.startsWith('bench:')
    ? sql`(SELECT b.score FROM benchmark_scores b WHERE b.model_id = m.id AND b.benchmark = ${sort.slice(6)})`
    : SORT_SQL[sort];
  // Rows without a value sort last in both directions; the id makes the order total (stable pages). Text sorts by
  // code point (COLLATE "C"), whatever the database's locale, so the in-process snapshot orders exactly alike.
  return sql`${expr} ${sql.raw(dir === 'asc' ? 'ASC' : 'DESC')} NULLS LAST, m.id COLLATE "C" ASC`;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A row's type: an adapter analysis makes an adapter; a base_model other than itself a fine-tune. */
const TYPE_SQL = sql`(CASE
  WHEN EXISTS (SELECT 1 FROM analyses x WHERE x.model_id = m.id AND x.kind = 'adapter') THEN 'adapter'
  WHEN m.base_model IS NOT NULL AND m.base_model <> m.id THEN 'fine-tune'
  ELSE 'model' END)`;

function whereClause(p: LeaderboardParams): SQL {
  const conds: SQL[] = [sql`TRUE`];
  // Full models by default; a base's listing shows its adapters too.
  const types: readonly string[] = p.type?.length ? p.type : p.base ? MODEL_TYPES : ['model', 'fine-tune'];
  if (types.length < MODEL_TYPES.length) conds.push(sql`${TYPE_SQL} IN (${sql.join(types.map((v) => sql`${v}`), sql`, `)})`);
  if (p.base) conds.push(sql`m.base_model = ${p.base} AND m.id <> ${p.base}`);
  if (p.q) {
    const like = `%${escapeLike(p.q)}%`;
    conds.push(sql`(m.id ILIKE ${like} OR m.architecture ILIKE ${like} OR m.family ILIKE ${like})`);
  }
  const inList = (col: SQL, values: readonly string[]) => sql`${col} IN (${sql.join(values.map((v) => sql`${v}`), sql`, `)})`;
  if (p.family?.length) conds.push(inList(sql`m.family`, p.family));
  if (p.dtype?.length) conds.push(inList(sql`m.dtype`, p.dtype));
  if (p.status?.length) conds.push(inList(sql`l.status`, p.status));
  if (p.gated !== undefined) {
    const gated = sql`(m.gated IS NOT NULL AND m.gated NOT IN ('false', ''))`;
    conds.push(p.gated ? gated : sql`NOT ${gated}`);
  }
  if (p.minParams !== undefined) conds.push(sql`m.parameter_count >= ${p.minParams}`);
  if (p.maxParams !== undefined) conds.push(sql`m.parameter_count <= ${p.maxParams}`);
  return sql.join(conds, sql` AND `);
}

interface RawRow {
  id: string; owner: string; name: string; family: string | null; architecture: string | null;
  parameter_count: number | null; dtype: string | null; license: string | null; gated: string | null;
  downloads: number | null; likes: number | null; synthetic: boolean; base_model: string | null; type: ModelType;
  analysis_id: number | null; status: AnalysisStatus | null; layers_done: number | null; layers_total: number | null;
  waiting_to_resume: boolean | null; error: string | null; summary: ModelStats | null; analysed_at: unknown;
  analysis_updated_at?: unknown; analysed_at_us?: number | null;
  sha: string | null; ref: string | null; step: number | null; benchmarks: Record<string, number> | null; total: number;
}

/**
 * The latest done-or-running analysis per model (else its latest analysis of any status). Narrow on purpose:
 * ranking carries only ids and the sort key through DISTINCT ON, the window count and the sort; the wide columns
 * (summary jsonb, metadata) are joined for the page's rows only.
 */
const LATEST_ANALYSIS = sql`
  SELECT DISTINCT ON (a.model_id) a.id, a.model_id, a.status
  FROM analyses a
  WHERE a.kind <> 'delta'
  ORDER BY a.model_id, (a.status IN ('done', 'running')) DESC, a.id DESC`;

/** The columns of a leaderboard row, over `m` (models), `l` (its current analysis) and `r` (that revision). */
const ROW_COLUMNS = sql`
    m.id, m.owner, m.name, m.family, m.architecture, m.parameter_count::float8 AS parameter_count, m.dtype,
    m.license, m.gated, m.downloads, m.likes, m.synthetic, m.base_model, ${TYPE_SQL} AS type,
    l.id AS analysis_id, l.status, l.layers_done, l.layers_total, l.error, l.summary,
    (l.status = 'running' AND l.updated_at < now() - make_interval(secs => ${claimTimings().staleAfterSeconds})) AS waiting_to_resume,
    coalesce(l.finished_at, l.updated_at) AS analysed_at, l.updated_at AS analysis_updated_at,
    (extract(epoch FROM coalesce(l.finished_at, l.updated_at)) * 1000000)::float8 AS analysed_at_us, r.sha, r.ref, r.step,
    (SELECT jsonb_object_agg(b.benchmark, b.score) FROM benchmark_scores b WHERE b.model_id = m.id) AS benchmarks`;

async function queryLeaderboard(p: LeaderboardParams): Promise<LeaderboardPage> {
  const dir = p.dir ?? defaultDir(p.sort);
  const offset = (p.page - 1) * p.pageSize;
  const rows = await selectRows<RawRow>(sql`
    WITH latest AS (${LATEST_ANALYSIS}),
    ranked AS (
      SELECT m.id AS model_id, latest.id AS analysis_id, (count(*) OVER ())::int AS total,
             row_number() OVER (ORDER BY ${orderBy(p.sort, dir)}) AS position
      FROM models m
      LEFT JOIN latest ON latest.model_id = m.id
      LEFT JOIN analyses l ON l.id = latest.id
      LEFT JOIN revisions r ON r.id = l.revision_id
      WHERE ${whereClause(p)}
      ORDER BY position
      LIMIT ${p.pageSize} OFFSET ${offset}
    )
    SELECT ${ROW_COLUMNS}, ranked.total
    FROM ranked
    JOIN models m ON m.id = ranked.model_id
    LEFT JOIN analyses l ON l.id = ranked.analysis_id
    LEFT JOIN revisions r ON r.id = l.revision_id
    ORDER BY ranked.position`);
  // The window count is only present when the page has rows; past the end, count separately.
  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && offset > 0) {
    const [c] = await selectRows<{ n: number }>(sql`
      WITH latest AS (${LATEST_ANALYSIS})
      SELECT count(*)::int AS n FROM models m LEFT JOIN latest ON latest.model_id = m.id
      LEFT JOIN analyses l ON l.id = latest.id WHERE ${whereClause(p)}`);
    total = c?.n ?? 0;
  }
  return {
    rows: rows.map(toRow),
    total: Number(total),
    page: p.page,
    pageSize: p.pageSize,
    sort: p.sort,
    dir,
  };
}

/**
 * Every model's leaderboard row (all of them, or those in `ids`), unfiltered and unsorted, with the current
 * analysis' last update time: what the in-process snapshot (board-snapshot.ts) holds.
 */
export async function loadLeaderboardRows(ids?: readonly string[]): Promise<SnapshotEntry[]> {
  const only = ids ? sql`WHERE m.id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})` : sql``;
  const latest = ids
    ? sql`SELECT DISTINCT ON (a.model_id) a.id, a.model_id, a.status FROM analyses a
          WHERE a.kind <> 'delta' AND a.model_id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})
          ORDER BY a.model_id, (a.status IN ('done', 'running')) DESC, a.id DESC`
    : LATEST_ANALYSIS;
  if (ids && ids.length === 0) return [];
  const rows = await selectRows<RawRow>(sql`
    WITH latest AS (${latest})
    SELECT ${ROW_COLUMNS}
    FROM models m
    LEFT JOIN latest ON latest.model_id = m.id
    LEFT JOIN analyses l ON l.id = latest.id
    LEFT JOIN revisions r ON r.id = l.revision_id
    ${only}`);
  return rows.map((r) => {
    const updated = iso(r.analysis_updated_at);
    return { row: toRow(r), analysisUpdatedAt: updated ? Date.parse(updated) : null, analysedAtUs: num(r.analysed_at_us) };
  });
}

function toRow(r: RawRow): LeaderboardRow {
  return {
    id: r.id,
    owner: r.owner,
    name: r.name,
    family: r.family,
    architecture: r.architecture,
    parameterCount: num(r.parameter_count),
    dtype: r.dtype,
    license: r.license,
    gated: r.gated != null && r.gated !== 'false' && r.gated !== '',
    downloads: r.downloads,
    likes: r.likes,
    synthetic: r.synthetic,
    baseModel: r.base_model,
    type: r.type,
    status: r.status,
    analysisId: r.analysis_id,
    progress:
      r.analysis_id == null
        ? null
        : { layersDone: r.layers_done ?? 0, layersTotal: r.layers_total, waitingToResume: r.waiting_to_resume === true },
    error: r.error,
    revision: r.sha ? { sha: r.sha, ref: r.ref ?? 'main', step: r.step } : null,
    analysedAt: iso(r.analysed_at),
    summary: r.summary,
    benchmarks: r.benchmarks ?? {},
  };
}

const SNAPSHOT = Symbol.for('alphaboard.board-snapshot');

function snapshotFor(watch: BoardWatch): BoardSnapshot {
  const g = globalThis as { [SNAPSHOT]?: BoardSnapshot };
  let snap = g[SNAPSHOT];
  if (!snap || snap.watch !== watch) {
    snap?.detach();
    snap = g[SNAPSHOT] = new BoardSnapshot(watch, loadLeaderboardRows);
  }
  return snap;
}

/**
 * One page of the leaderboard: from the in-process snapshot (board-snapshot.ts), exact as of every change committed
 * before the call; from SQL when the board watch is unavailable (briefly cached there; see read-cache.ts).
 */
export async function listLeaderboard(params: LeaderboardParams): Promise<LeaderboardPage> {
  const watch = await boardWatch();
  if (watch) {
    const snap = snapshotFor(watch);
    await snap.refresh();
    return snap.page(params);
  }
  return readThrough({ key: `leaderboard:${JSON.stringify(params)}`, tags: ['models'], load: () => queryLeaderboard(params) });
}

/**
 * One model's leaderboard row (its current analysis: id, status, revision) from the snapshot: null when the model is
 * not on the board, undefined when there is no live snapshot (the caller reads the model's detail instead).
 */
export async function currentRowOf(id: string): Promise<LeaderboardRow | null | undefined> {
  const watch = await boardWatch();
  if (!watch) return undefined;
  const snap = snapshotFor(watch);
  await snap.refresh();
  return snap.get(id);
}

/** The SQL answer for a view, bypassing every cache (the snapshot's reference in tests). */
export const queryLeaderboardSql = queryLeaderboard;

/** Load the snapshot now (server start), so the first visitor does not wait for it. */
export async function warmLeaderboard(): Promise<void> {
  const watch = await boardWatch();
  if (watch) await snapshotFor(watch).refresh();
}

export interface LeaderboardFacets {
  families: string[];
  dtypes: string[];
  benchmarks: string[];
  models: number;
}

const FACETS = Symbol.for('alphaboard.leaderboard-facets');

/** Values the filter controls offer; kept while nothing on the board changes (else cached for 10 s). */
export async function getLeaderboardFacets(): Promise<LeaderboardFacets> {
  const watch = await boardWatch();
  if (!watch) return readThrough({ key: 'leaderboard:facets', tags: ['models'], ttlMs: 10_000, load: loadFacets });
  const g = globalThis as { [FACETS]?: { watch: BoardWatch; generation: number; value: Promise<LeaderboardFacets> } };
  const hit = g[FACETS];
  if (hit && hit.watch === watch && hit.generation === watch.generation) return hit.value;
  const entry = { watch, generation: watch.generation, value: loadFacets() };
  g[FACETS] = entry;
  entry.value.catch(() => {
    if (g[FACETS] === entry) delete g[FACETS];
  });
  return entry.value;
}

async function loadFacets(): Promise<LeaderboardFacets> {
  const [row] = await selectRows<{ families: string[] | null; dtypes: string[] | null; benchmarks: string[] | null; models: number }>(sql`
    SELECT
      (SELECT array_agg(DISTINCT family ORDER BY family) FROM models WHERE family IS NOT NULL) AS families,
      (SELECT array_agg(DISTINCT dtype ORDER BY dtype) FROM models WHERE dtype IS NOT NULL) AS dtypes,
      (SELECT array_agg(DISTINCT benchmark ORDER BY benchmark) FROM benchmark_scores) AS benchmarks,
      (SELECT count(*)::int FROM models) AS models`);
  return {
    families: row?.families ?? [],
    dtypes: row?.dtypes ?? [],
    benchmarks: row?.benchmarks ?? [],
    models: Number(row?.models ?? 0),
  };
}
