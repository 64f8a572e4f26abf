import { sql, type SQL } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { storeDoneAnalysisViews } from '@/db/queries/store-views';

/** Digits of a bench model's number: enough for `total` (at least 4, so up to 9,999 models the ids stay model-0001…). */
export function benchIdDigits(total: number): number {
  return Math.max(4, String(Math.trunc(total)).length);
}

/** The id of bench model `i` (1-based) among `total`: `bench/model-0001`, or `bench/model-00001` from 10,000 models. */
export function benchModelId(i: number, total: number): string {
  return `bench/model-${String(i).padStart(benchIdDigits(total), '0')}`;
}

/** The id of MoE bench model `i` (1-based): `bench/moe-01`. */
export function benchMoeId(i: number): string {
  return `bench/moe-${String(i).padStart(2, '0')}`;
}

/** Rows of an MoE bench model: 16 blocks x (q, k, v, o, router, 40 experts x w1/w2/w3). */
export const MOE_BLOCKS = 16;
export const MOE_EXPERTS = 40;
export const MOE_LAYERS = MOE_BLOCKS * (5 + 3 * MOE_EXPERTS);

/** The layer columns every seeded row fills, in the order of {@link metricValues}. */
const LAYER_METRIC_COLUMNS = sql.raw(`"N", "M", "Q", num_evals, sv_max, sv_min, rank_loss, weak_rank_loss, lambda_max, alpha, pl_xmin,
      pl_xmax, "D", sigma, num_pl_spikes, warning, norm, log_norm, spectral_norm, log_spectral_norm, alpha_weighted,
      log_alpha_norm, stable_rank, matrix_rank, entropy, phase`);

/** Random WeightWatcher columns in realistic ranges for an N x M layer whose alpha is `x.alpha`. */
function metricValues(n: number, m: number): SQL {
  const lit = (v: number) => sql.raw(String(v));
  return sql`${lit(n)}, ${lit(m)}, ${lit(n / m)}, ${lit(Math.min(n, m))}, 10 + random() * 20, random() * 0.01, 0, 0, 100 + random() * 400,
           x.alpha, 1 + random(), 500, 0.02 + random() * 0.1, 0.05, 50 + floor(random() * 200)::int,
           CASE WHEN x.alpha < 2 THEN 'over-trained' WHEN x.alpha > 6 THEN 'under-trained' ELSE '' END,
           1000 + random() * 5000, 3 + random(), 100 + random() * 400, 2 + random() * 0.6, x.alpha * (2 + random() * 0.6),
           x.alpha * 2.5, 5 + random() * 40, ${lit(Math.min(n, m))}, 0.8 + random() * 0.2, 'heavy-tailed'`;
}

/** Each done analysis' summary aggregated from its stored layers, as the pipeline's are (analyses `x` matching `where`). */
async function storeSummaries(where: SQL): Promise<void> {
  const db = await getDb();
  await db.execute(sql`
    UPDATE analyses a SET summary = s.summary FROM (
      SELECT analysis_id, jsonb_build_object(
        'log_norm', avg(log_norm), 'alpha', avg(alpha), 'alpha_weighted', avg(alpha_weighted), 'log_alpha_norm', avg(log_alpha_norm),
        'log_spectral_norm', avg(log_spectral_norm), 'stable_rank', avg(stable_rank), 'layers_analyzed', count(*),
        'median_alpha', percentile_cont(0.5) WITHIN GROUP (ORDER BY alpha), 'mean_D', avg("D"),
        'share_alpha_lt_2', avg((alpha < 2)::int), 'share_alpha_gt_6', avg((alpha > 6)::int), 'correlation_traps', NULL) AS summary
      FROM layers l JOIN analyses x ON x.id = l.analysis_id WHERE ${where} GROUP BY analysis_id) s
    WHERE s.analysis_id = a.id AND a.status = 'done'`);
}

/** A stored spectrum (1,024 eigenvalues drawn from the layer's power law) for every layer `l` of analysis `a` matching `where`. */
async function storeSpectra(where: SQL): Promise<void> {
  const db = await getDb();
  await db.execute(sql`
    INSERT INTO layer_esd (layer_id, esd)
    SELECT l.id, jsonb_build_object(
      'evals', (SELECT jsonb_agg(v ORDER BY v) FROM (SELECT power(1 - random(), -1 / (l.alpha - 1)) * 0.5 AS v FROM generate_series(1, 1024)) e),
      'complete', false,
      'fit', jsonb_build_object('alpha', l.alpha, 'xmin', l.pl_xmin, 'xmax', l.pl_xmax, 'D', l."D", 'status', 'success'))
    FROM layers l JOIN analyses a ON a.id = l.analysis_id WHERE ${where}`);
}

/**
 * Synthetic load-test data written straight in SQL (generate_series), so 1,000 models × 300 layers take seconds:
 * models with Hub-like metadata, one revision and one analysis each (a few running or failed), every layer with
 * the WeightWatcher columns the pages read, summaries aggregated from the stored layers exactly as the pipeline's
 * do, stored ESDs for one model, and benchmark scores for a third of the models.
 * Values are random within realistic ranges; this is load data, not analyses.
 */
export async function seedBenchData({ models, layers, moeModels = 0 }: { models: number; layers: number; moeModels?: number }): Promise<void> {
  const db = await getDb();
  const families = ['llama', 'qwen2', 'mistral', 'falcon', 'gpt2', 'gpt_neox', 'phi3', 'olmo'];
  const roles = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
  const famArr = sql.raw(`ARRAY[${families.map((f) => `'${f}'`).join(',')}]`);
  const roleArr = sql.raw(`ARRAY[${roles.map((r) => `'${r}'`).join(',')}]`);
  // Integers inlined as literals: PGlite types bound parameters inside CASE as text.
  const int = (n: number) => sql.raw(String(Math.trunc(n)));
  const L = int(layers);
  const HALF = int(Math.floor(layers / 2));
  // Zero-padded to the digit count of the model count (benchModelId builds the same ids for the bench's URLs).
  const DIGITS = int(benchIdDigits(models));
  await db.execute(sql`SELECT setseed(0.42)`);
  await db.execute(sql`
    INSERT INTO models (id, owner, name, family, architecture, parameter_count, dtype, license, gated, downloads, likes, source)
    SELECT 'bench/model-' || lpad(g::text, ${DIGITS}, '0'), 'bench', 'model-' || lpad(g::text, ${DIGITS}, '0'),
           (${famArr})[1 + g % 8], initcap((${famArr})[1 + g % 8]) || 'ForCausalLM',
           (50 + floor(random() * 70000))::bigint * 1000000, CASE WHEN g % 3 = 0 THEN 'F16' ELSE 'BF16' END,
           CASE WHEN g % 4 = 0 THEN 'llama3' ELSE 'apache-2.0' END, CASE WHEN g % 10 = 0 THEN 'manual' ELSE NULL END,
           floor(random() * 100000)::int, floor(random() * 500)::int, 'discovery'
    FROM generate_series(1, ${int(models)}) g`);
  await db.execute(sql`
    INSERT INTO revisions (model_id, sha, ref, committed_at)
    SELECT id, md5(id) || substr(md5(id || 'x'), 1, 8), 'main', now() - (random() * interval '300 days') FROM models WHERE owner = 'bench'`);
  await db.execute(sql`
    INSERT INTO analyses (model_id, revision_id, status, error, error_kind, layers_total, layers_done, seconds_per_layer, queued_at, started_at, finished_at)
    SELECT r.model_id, r.id,
           CASE WHEN r.id % 50 = 0 THEN 'running' WHEN r.id % 97 = 0 THEN 'failed' ELSE 'done' END,
           CASE WHEN r.id % 97 = 0 AND r.id % 50 <> 0 THEN 'gated: needs a token with access' END,
           CASE WHEN r.id % 97 = 0 AND r.id % 50 <> 0 THEN 'gated' END,
           ${L}, CASE WHEN r.id % 50 = 0 THEN ${HALF} ELSE ${L} END, 0.8,
           now() - interval '2 days', now() - interval '2 days', now() - interval '1 day'
    FROM revisions r JOIN models m ON m.id = r.model_id WHERE m.owner = 'bench'`);
  const blocks = Math.ceil(layers / roles.length);
  await db.execute(sql`
    INSERT INTO layers (analysis_id, ordinal, tensor, name, block_index, relative_depth, role, fused, shape, dtype, status,
      ${LAYER_METRIC_COLUMNS})
    SELECT a.id, o, 'model.layers.' || (o / 7) || '.' || (${roleArr})[1 + o % 7] || '.weight',
           'model.layers.' || (o / 7) || '.' || (${roleArr})[1 + o % 7], o / 7, (o / 7)::real / ${int(Math.max(1, blocks - 1))},
           (${roleArr})[1 + o % 7], false, '[4096, 4096]'::jsonb, 'BF16', 'success', ${metricValues(4096, 4096)}
    FROM analyses a
    CROSS JOIN generate_series(0, ${int(layers - 1)}) o
    CROSS JOIN LATERAL (SELECT 1.5 + random() * 5 + (a.id % 7) * 0.1 + o * 0 AS alpha) x
    WHERE a.model_id LIKE 'bench/%' AND (a.status <> 'running' OR o < ${HALF}) AND a.status <> 'failed'`);
  await storeSummaries(sql`x.model_id LIKE 'bench/model-%'`);
  // Stored spectra (the ESD endpoint's payload, 1,024 eigenvalues each): every layer of the first model, and each
  // model's first layer (the spectrum its page shows without a request).
  await storeSpectra(sql`a.model_id = ${benchModelId(1, models)} OR (a.model_id LIKE 'bench/model-%' AND l.ordinal = 0)`);
  await db.execute(sql`
    INSERT INTO benchmark_scores (model_id, benchmark, score, source)
    SELECT m.id, b, 20 + random() * 60, 'bench' FROM models m CROSS JOIN unnest(ARRAY['mmlu', 'truthfulqa']) b
    WHERE m.owner = 'bench' AND right(m.id, 1) IN ('0', '3', '6')`);
  if (moeModels > 0) await seedMoeModels(moeModels);
  await db.execute(sql`ANALYZE`);
  // What the pipeline stores when an analysis finishes: each done analysis' read views (db/queries/store-views.ts).
  const done = (await db.execute(sql`SELECT id FROM analyses WHERE status = 'done' ORDER BY id`)) as unknown as { rows: { id: number }[] };
  for (const a of done.rows) await storeDoneAnalysisViews(a.id);
}

/**
 * `count` Mixtral-like models of MOE_LAYERS rows each (per block: attention, a router and MOE_EXPERTS routed experts
 * with three projections each), done, with summaries: the model page at 2,000 rows.
 */
async function seedMoeModels(count: number): Promise<void> {
  const db = await getDb();
  const int = (n: number) => sql.raw(String(Math.trunc(n)));
  const perBlock = int(5 + 3 * MOE_EXPERTS);
  await db.execute(sql`
    INSERT INTO models (id, owner, name, family, architecture, parameter_count, dtype, license, downloads, likes, source)
    SELECT 'bench/moe-' || lpad(g::text, 2, '0'), 'bench', 'moe-' || lpad(g::text, 2, '0'), 'mixtral', 'MixtralForCausalLM',
           46700000000, 'BF16', 'apache-2.0', floor(random() * 100000)::int, floor(random() * 500)::int, 'discovery'
    FROM generate_series(1, ${int(count)}) g`);
  await db.execute(sql`
    INSERT INTO revisions (model_id, sha, ref, committed_at)
    SELECT id, md5(id) || substr(md5(id || 'x'), 1, 8), 'main', now() - (random() * interval '300 days') FROM models WHERE id LIKE 'bench/moe-%'`);
  await db.execute(sql`
    INSERT INTO analyses (model_id, revision_id, status, layers_total, layers_done, seconds_per_layer, queued_at, started_at, finished_at)
    SELECT r.model_id, r.id, 'done', ${int(MOE_LAYERS)}, ${int(MOE_LAYERS)}, 0.8, now() - interval '2 days', now() - interval '2 days', now() - interval '1 day'
    FROM revisions r WHERE r.model_id LIKE 'bench/moe-%'`);
  await db.execute(sql`
    INSERT INTO layers (analysis_id, ordinal, tensor, expert, name, block_index, relative_depth, role, fused, shape, dtype, status,
      ${LAYER_METRIC_COLUMNS})
    SELECT a.id, o, t.tensor, t.expert, regexp_replace(t.tensor, '\.weight$', ''), o / ${perBlock},
           (o / ${perBlock})::real / ${int(MOE_BLOCKS - 1)}, t.role, false, '[4096, 14336]'::jsonb, 'BF16', 'success',
           ${metricValues(14336, 4096)}
    FROM analyses a
    CROSS JOIN generate_series(0, ${int(MOE_LAYERS - 1)}) o
    CROSS JOIN LATERAL (SELECT o % ${perBlock} AS k, o / ${perBlock} AS b) p
    CROSS JOIN LATERAL (SELECT
      CASE WHEN p.k < 4 THEN 'model.layers.' || p.b || '.self_attn.' || (ARRAY['q', 'k', 'v', 'o'])[1 + p.k] || '_proj.weight'
           WHEN p.k = 4 THEN 'model.layers.' || p.b || '.block_sparse_moe.gate.weight'
           ELSE 'model.layers.' || p.b || '.block_sparse_moe.experts.' || ((p.k - 5) / 3) || '.w' || (1 + (p.k - 5) % 3) || '.weight' END AS tensor,
      CASE WHEN p.k < 4 THEN (ARRAY['q', 'k', 'v', 'o'])[1 + p.k] WHEN p.k = 4 THEN 'router' ELSE 'expert' END AS role,
      CASE WHEN p.k >= 5 THEN (p.k - 5) / 3 END AS expert) t
    CROSS JOIN LATERAL (SELECT 1.5 + random() * 5 + o * 0 AS alpha) x
    WHERE a.model_id LIKE 'bench/moe-%'`);
  await storeSummaries(sql`x.model_id LIKE 'bench/moe-%'`);
  await storeSpectra(sql`a.model_id LIKE 'bench/moe-%' AND l.ordinal = 0`);
}
