import 'server-only';
import { sql } from 'drizzle-orm';
import { spearman } from './rank-correlation';
import { readThrough } from './read-cache';
import { selectRows } from './read-db';

/** Imported benchmark scores beside the spectral summary (the /correlations page). */

export const CORRELATION_METRICS = ['alpha', 'median_alpha', 'alpha_weighted', 'log_alpha_norm', 'log_spectral_norm', 'mean_D'] as const;
export type CorrelationMetric = (typeof CORRELATION_METRICS)[number];

export interface BenchmarkInfo {
  benchmark: string;
  models: number;
}

export function listBenchmarks(): Promise<BenchmarkInfo[]> {
  return readThrough({
    key: 'benchmarks:list',
    tags: ['benchmarks'],
    load: () => selectRows<BenchmarkInfo>(sql`
      SELECT benchmark, count(*)::int AS models FROM benchmark_scores GROUP BY benchmark ORDER BY benchmark`),
  });
}

export interface CorrelationPoint {
  id: string;
  metric: number;
  score: number;
}

export interface BenchmarkCorrelation {
  benchmark: string;
  metric: CorrelationMetric;
  points: CorrelationPoint[];
  /** Spearman rank correlation of metric vs score over the points; null below 3 points. */
  spearman: number | null;
}

/** Models with both a score for `benchmark` and a done analysis: (metric, score) pairs and their rank correlation. */
export function getBenchmarkCorrelation({ benchmark, metric }: { benchmark: string; metric: CorrelationMetric }): Promise<BenchmarkCorrelation> {
  return readThrough({
    key: `benchmarks:corr:${benchmark}:${metric}`,
    tags: ['benchmarks', 'models'],
    load: async () => {
      const rows = await selectRows<{ id: string; metric: number | null; score: number }>(sql`
        WITH l AS (
          SELECT DISTINCT ON (a.model_id) a.model_id, a.summary FROM analyses a
          WHERE a.status = 'done' AND a.summary IS NOT NULL AND a.kind <> 'delta'
          ORDER BY a.model_id, a.id DESC
        )
        SELECT b.model_id AS id, (l.summary->>${metric})::float8 AS metric, b.score
        FROM benchmark_scores b JOIN l ON l.model_id = b.model_id
        WHERE b.benchmark = ${benchmark}
        ORDER BY b.model_id`);
      const points = rows.filter((r) => r.metric != null && Number.isFinite(r.metric)).map((r) => ({ id: r.id, metric: r.metric!, score: r.score }));
      return {
        benchmark,
        metric,
        points,
        spearman: spearman(points.map((p) => p.metric), points.map((p) => p.score)),
      };
    },
  });
}
