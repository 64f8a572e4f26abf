import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One Hub repository (`owner/name`). Hub metadata is refreshed on each discovery/analysis. */
export const models = pgTable(
  'models',
  {
    /** Repo id as on the Hub: `owner/name`. */
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    name: text('name').notNull(),
    /** Family parsed from config `model_type` (llama, falcon, gpt2, gpt_neox, qwen2, phi3, olmo, ...). */
    family: text('family'),
    /** config `architectures[0]`, e.g. LlamaForCausalLM. */
    architecture: text('architecture'),
    parameterCount: bigint('parameter_count', { mode: 'number' }),
    /** Dominant storage dtype of the weights (BF16, F16, F32, F8_E4M3, ...). */
    dtype: text('dtype'),
    license: text('license'),
    /** false | 'auto' | 'manual' on the Hub; stored as text, null when public. */
    gated: text('gated'),
    downloads: integer('downloads'),
    likes: integer('likes'),
    /** From the model card's `base_model` (fine-tunes). */
    baseModel: text('base_model'),
    tags: jsonb('tags').$type<string[]>(),
    /** How the repo entered the board: watchlist | discovery | admin | demo. */
    source: text('source').notNull().default('watchlist'),
    /** Synthetic models made by this project (owner `demo`). */
    synthetic: boolean('synthetic').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('models_family_idx').on(t.family),
    index('models_params_idx').on(t.parameterCount),
    // A base's page lists the models naming it (fine-tunes, adapters).
    index('models_base_model_idx').on(t.baseModel),
  ],
);

export type Model = typeof models.$inferSelect;
export type NewModel = typeof models.$inferInsert;

/** Repos added by the admin API/CLI beside the file watchlist (jobs/watchlist.ts). */
export const watchlist = pgTable('watchlist', {
  repoId: text('repo_id').primaryKey(),
  /** Branches/tags to analyse as an ordered series (training checkpoints); empty = the default branch. */
  revisions: jsonb('revisions').$type<string[]>().notNull().default([]),
  addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
});

export type WatchlistEntry = typeof watchlist.$inferSelect;
