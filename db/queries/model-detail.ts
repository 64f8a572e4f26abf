import { and, desc, eq, getTableColumns, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { analyses, layers, models, revisions, type Analysis, type AnalysisStatus, type CheckpointRead, type Model, type Revision } from '@/db/schema';
import type { AnalysisOptions, ModelStats } from '@/lib/types';
import { isClaimStale } from '@/jobs/claims';
import type { RoleAggregate } from './layer-aggregates';
import { loadLayerAggregates, storedFactsOfModel, type PageFacts } from './page-facts';
import { derivedModelsOf, type DerivedModel, type DerivedRun } from './delta';
import { BoardCache } from './board-cache';
import { iso, readDb, selectRows } from './read-db';

/**
 * One model with its revision history and the analysis a page shows.
 *
 * Which analysis is shown: with `revision` (a sha, a sha prefix of 7+ characters, or a ref such as `main` or
 * `step1000`), that revision's; otherwise the model's. Within that set, the latest done-or-running analysis wins
 * (as on the leaderboard); when none exists, the latest of any status, so a failure and its reason are visible.
 */

/**
 * "The model's analysis": its `model` analysis, or for a PEFT adapter repo its `adapter` analysis (an adapter repo
 * has no other). Delta analyses (a fine-tune against its base) are read through ./delta.ts only.
 */
export const mainAnalysis = ne(analyses.kind, 'delta');

export interface AnalysisInfo {
  id: number;
  revisionId: number;
  status: AnalysisStatus;
  error: string | null;
  errorKind: string | null;
  options: AnalysisOptions;
  layersDone: number;
  layersTotal: number | null;
  bytesRead: number;
  bytesTotal: number | null;
  secondsPerLayer: number | null;
  /** Seconds left at the current pace, while running. */
  etaSeconds: number | null;
  /**
   * Running, but its worker stopped heart-beating (crashed, killed or paused for three heartbeats): the analysis waits
   * for a live worker (or this server after a restart) to resume it at the first missing layer.
   */
  waitingToResume: boolean;
  summary: ModelStats | null;
  /** What was read: format, the commit whose files were read (a conversion PR's head when used), the files. */
  checkpoint: CheckpointRead | null;
  timings: Record<string, number> | null;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RevisionInfo {
  id: number;
  sha: string;
  ref: string;
  step: number | null;
  committedAt: string | null;
  analyses: AnalysisInfo[];
}

export interface ModelInfo {
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
  baseModel: string | null;
  tags: string[];
  source: string;
  synthetic: boolean;
  updatedAt: string | null;
}

export interface ModelDetail {
  model: ModelInfo;
  /** Newest first. */
  revisions: RevisionInfo[];
  /** The analysis shown (see module doc), with its revision, per-role alpha aggregates and mirror detection. */
  analysis: ShownAnalysis | null;
  /** The most recent analysis of any status when it differs from the shown one (e.g. a newer revision that failed). */
  latestAttempt: AnalysisInfo | null;
  /** The base model (fine-tunes), and whether it is on the board. */
  base: { id: string; onBoard: boolean } | null;
  /** Models on the board whose base_model is this one. */
  fineTunes: string[];
  /** model | fine-tune | adapter (as on the leaderboard). */
  type: 'model' | 'fine-tune' | 'adapter';
  /** The card's base_model (null when none, or when it names the model itself). */
  base_model: string | null;
  /** Full checkpoints whose base_model is this one, each with its delta analysis against it in short. */
  fine_tunes: DerivedModel[];
  /** PEFT adapter repos whose base_model is this one, each with its adapter analysis in short. */
  adapters: DerivedModel[];
}

export interface ShownAnalysis extends AnalysisInfo {
  revision: Omit<RevisionInfo, 'analyses'>;
  /**
   * Per role, alpha over analysed rows (status success): count, mean, median, min, max. The summary keeps
   * WeightWatcher's plain mean over all analysed rows; this view keeps 64 experts per block from drowning attention.
   */
  summary_by_role: Record<string, RoleAggregate>;
  /** The model every analysed layer's metrics were reused from (identical bytes), or null. */
  identical_to: string | null;
}

export function toModelInfo(m: Model): ModelInfo {
  return {
    id: m.id,
    owner: m.owner,
    name: m.name,
    family: m.family,
    architecture: m.architecture,
    parameterCount: m.parameterCount == null ? null : Number(m.parameterCount),
    dtype: m.dtype,
    license: m.license,
    gated: m.gated != null && m.gated !== 'false' && m.gated !== '',
    downloads: m.downloads,
    likes: m.likes,
    baseModel: m.baseModel,
    tags: m.tags ?? [],
    source: m.source,
    synthetic: m.synthetic,
    updatedAt: iso(m.updatedAt),
  };
}

function toAnalysisInfo(a: Analysis): AnalysisInfo {
  const left = a.layersTotal != null ? Math.max(0, a.layersTotal - a.layersDone) : null;
  const waitingToResume = isClaimStale(a);
  return {
    id: a.id,
    revisionId: a.revisionId,
    status: a.status,
    error: a.error,
    errorKind: a.errorKind,
    options: a.options ?? {},
    layersDone: a.layersDone,
    layersTotal: a.layersTotal,
    bytesRead: Number(a.bytesRead ?? 0),
    bytesTotal: a.bytesTotal == null ? null : Number(a.bytesTotal),
    secondsPerLayer: a.secondsPerLayer,
    etaSeconds:
      a.status === 'running' && !waitingToResume && left != null && a.secondsPerLayer != null ? left * a.secondsPerLayer : null,
    waitingToResume,
    summary: a.summary ?? null,
    checkpoint: a.checkpoint ?? null,
    timings: a.timings ?? null,
    queuedAt: iso(a.queuedAt),
    startedAt: iso(a.startedAt),
    finishedAt: iso(a.finishedAt),
  };
}

function matchesRevision(r: RevisionInfo, revision: string): boolean {
  const v = revision.toLowerCase();
  return r.ref === revision || r.sha === v || (v.length >= 7 && r.sha.startsWith(v));
}

/** Pick the shown analysis out of a set (newest first). */
export function pickAnalysis<T extends { id: number; status: AnalysisStatus }>(list: readonly T[]): T | null {
  const sorted = [...list].sort((x, y) => y.id - x.id);
  return sorted.find((a) => a.status === 'done' || a.status === 'running') ?? sorted[0] ?? null;
}

/**
 * `json_build_object('<drizzle key>', <alias>."<column>", ...)` over a table's columns: a row as the same object
 * drizzle's select() returns, except timestamps, which arrive as ISO strings (every consumer goes through iso()).
 */
function rowJson(table: Parameters<typeof getTableColumns>[0], alias: string): SQL {
  const pairs = Object.entries(getTableColumns(table)).map(([key, col]) => sql`${key}::text, ${sql.raw(`${alias}.`)}${sql.identifier(col.name)}`);
  return sql`json_build_object(${sql.join(pairs, sql`, `)})`;
}

/** Derived models listed on a base's page (as listDerivedModels' default). */
const DERIVED_LIMIT = 100;

interface DetailRows {
  model: Model | null;
  revisions: Revision[] | null;
  analyses: Analysis[] | null;
  children: string[] | null;
  derivedIds: string[] | null;
  derivedRuns: DerivedRun[] | null;
  hasAdapter: boolean;
  baseOnBoard: boolean;
  /** Stored page facts of the model's done analyses, by analysis id (page-facts.ts). */
  facts: Record<string, PageFacts> | null;
}

/** Everything a model's detail is built from, in one statement (one round trip; ~10 indexed lookups). */
async function loadDetailRows(id: string): Promise<DetailRows | null> {
  // The models naming this one as their base (itself excluded): its fine-tunes and adapters.
  const DERIVED_IDS = sql`SELECT id FROM models WHERE base_model = ${id} AND id <> ${id} ORDER BY id LIMIT ${DERIVED_LIMIT}`;
  const [row] = await selectRows<{ detail: DetailRows }>(sql`
    SELECT json_build_object(
      'model', (SELECT ${rowJson(models, 'm')} FROM models m WHERE m.id = ${id}),
      'revisions', (SELECT json_agg(${rowJson(revisions, 'r')} ORDER BY r.id DESC) FROM revisions r WHERE r.model_id = ${id}),
      'analyses', (SELECT json_agg(${rowJson(analyses, 'a')} ORDER BY a.id DESC) FROM analyses a WHERE a.model_id = ${id} AND a.kind <> 'delta'),
      'children', (SELECT json_agg(c.id ORDER BY c.id) FROM (SELECT id FROM models WHERE base_model = ${id} ORDER BY id LIMIT 50) c),
      'derivedIds', (SELECT json_agg(c.id ORDER BY c.id) FROM (${DERIVED_IDS}) c),
      'derivedRuns', (
        SELECT json_agg(json_build_object('id', a.id, 'modelId', a.model_id, 'kind', a.kind, 'status', a.status, 'error', a.error,
                                          'summary', a.summary, 'baseModelId', br.model_id) ORDER BY a.id DESC)
        FROM analyses a LEFT JOIN revisions br ON br.id = a.base_revision_id
        WHERE a.kind IN ('delta', 'adapter')
          AND a.model_id IN (${DERIVED_IDS})),
      'hasAdapter', EXISTS (SELECT 1 FROM analyses a WHERE a.model_id = ${id} AND a.kind = 'adapter'),
      'baseOnBoard', EXISTS (SELECT 1 FROM models b WHERE b.id = (SELECT base_model FROM models WHERE id = ${id})),
      'facts', ${storedFactsOfModel(id)}
    ) AS detail`);
  const d = row?.detail;
  return d?.model ? d : null;
}

/** A model's detail and, when its shown analysis is done and they are stored, that analysis' page facts. */
export interface ModelPageData {
  detail: ModelDetail;
  facts: PageFacts | null;
}

async function loadModelDetail(id: string, revision?: string): Promise<ModelPageData | null> {
  const rows = await loadDetailRows(id);
  if (!rows) return null;
  const model = rows.model!;
  const revs = rows.revisions ?? [];
  const runs = rows.analyses ?? [];
  const derived = derivedModelsOf(id, rows.derivedIds ?? [], rows.derivedRuns ?? []);
  const selfBase = model.baseModel !== null && model.baseModel !== id ? model.baseModel : null;
  const infos = runs.map(toAnalysisInfo);
  const revisionInfos: RevisionInfo[] = revs.map((r) => ({
    id: r.id,
    sha: r.sha,
    ref: r.ref,
    step: r.step,
    committedAt: iso(r.committedAt),
    analyses: infos.filter((a) => a.revisionId === r.id),
  }));
  // Checkpoint series read better in training order; other repos newest first.
  if (revisionInfos.some((r) => r.step != null)) {
    revisionInfos.sort((x, y) => (y.step ?? -1) - (x.step ?? -1) || y.id - x.id);
  }
  const candidates = revision
    ? revisionInfos.filter((r) => matchesRevision(r, revision)).flatMap((r) => r.analyses)
    : infos;
  if (revision && candidates.length === 0) return null;
  const shown = pickAnalysis(candidates);
  const shownRevision = shown ? revisionInfos.find((r) => r.id === shown.revisionId) : undefined;
  const latest = infos[0] ?? null;

  // A done analysis' aggregates are stored with its page facts; anything else's are computed from its rows now.
  const facts = shown?.status === 'done' ? (rows.facts?.[String(shown.id)] ?? null) : null;
  const extras = facts ?? (shown ? await loadLayerAggregates(shown.id, id) : null);
  const base: ModelDetail['base'] = model.baseModel ? { id: model.baseModel, onBoard: rows.baseOnBoard } : null;
  const detail: ModelDetail = {
    model: toModelInfo(model),
    revisions: revisionInfos,
    analysis: shown && shownRevision
      ? {
        ...shown,
        revision: { id: shownRevision.id, sha: shownRevision.sha, ref: shownRevision.ref, step: shownRevision.step, committedAt: shownRevision.committedAt },
        summary_by_role: extras?.summaryByRole ?? {},
        identical_to: extras?.identicalTo ?? null,
      }
      : null,
    latestAttempt: latest && latest.id !== shown?.id ? latest : null,
    base,
    fineTunes: rows.children ?? [],
    type: rows.hasAdapter ? 'adapter' : selfBase ? 'fine-tune' : 'model',
    base_model: selfBase,
    fine_tunes: derived.filter((d) => d.type === 'fine-tune'),
    adapters: derived.filter((d) => d.type === 'adapter'),
  };
  return { detail, facts };
}

const details = new BoardCache<ModelPageData | null>('model-detail', 0.1);

/** The model ids a detail shows data of: any change to one of them makes it stale. */
function detailDeps(id: string, d: ModelDetail | null): string[] {
  if (!d) return [id];
  return [id, ...(d.base ? [d.base.id] : []), ...d.fineTunes, ...d.fine_tunes.map((m) => m.id), ...d.adapters.map((m) => m.id)];
}

/**
 * A model page's data (the detail, and the shown analysis' stored page facts when it is done), or null when the
 * model (or the asked revision) is unknown. Cached until the model or one it lists changes (board-cache.ts); never
 * while one of its analyses is queued or running (ETA, "waiting to resume").
 */
export function getModelPageData({ id, revision }: { id: string; revision?: string }): Promise<ModelPageData | null> {
  return details.get(
    `${id}@${revision ?? ''}`,
    async () => {
      const value = await loadModelDetail(id, revision);
      const d = value?.detail ?? null;
      const settled = !d || d.revisions.every((r) => r.analyses.every((a) => a.status === 'done' || a.status === 'failed'));
      return { value, deps: detailDeps(id, d), keep: settled, bytes: value ? JSON.stringify(value).length : 64 };
    },
    ['models', `model:${id}`],
  );
}

/** A model's detail (the API's model resource), or null when the model (or the asked revision) is unknown. */
export async function getModelDetail(params: { id: string; revision?: string }): Promise<ModelDetail | null> {
  return (await getModelPageData(params))?.detail ?? null;
}

/** The shown analysis of each of several models (compare page), keyed by model id. */
export async function getCurrentAnalyses({ ids }: { ids: string[] }): Promise<Map<string, Analysis>> {
  if (ids.length === 0) return new Map();
  const db = await readDb();
  const runs = await db
    .select()
    .from(analyses)
    .where(and(inArray(analyses.modelId, ids), mainAnalysis))
    .orderBy(desc(analyses.id));
  const out = new Map<string, Analysis>();
  for (const id of ids) {
    const pick = pickAnalysis(runs.filter((r) => r.modelId === id));
    if (pick) out.set(id, pick);
  }
  return out;
}
