import { doublePrecision, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** External evaluation scores (e.g. Open LLM Leaderboard), imported by CLI, keyed by repo id. */
export const benchmarkScores = pgTable(
  'benchmark_scores',
  {
    modelId: text('model_id').notNull(),
    benchmark: text('benchmark').notNull(),
    score: doublePrecision('score').notNull(),
    source: text('source'),
    importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.benchmark] })],
);

export type BenchmarkScore = typeof benchmarkScores.$inferSelect;
