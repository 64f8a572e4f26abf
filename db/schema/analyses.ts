import { bigint, customType, index, integer, jsonb, pgTable, primaryKey, real, serial, text, timestamp, unique, uniqueIndex } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });
import type { AnalysisOptions, ModelStats } from '@/lib/types';
import { models } from './models';

/** A pinned commit of a repo. Every analysis is of exactly one revision; old revisions stay as history. */
export const revisions = pgTable(
  'revisions',
  {
    id: serial('id').primaryKey(),
    modelId: text('model_id').notNull().references(() => models.id, { onDelete: 'cascade' }),
    /** Commit sha (40 hex). */
    sha: text('sha').notNull(),
    /** The ref that resolved to this sha: `main`, a tag or branch like `step1000`. */
    ref: text('ref').notNull().default('main'),
    /** Training step parsed from the ref (`step1000` -> 1000) for checkpoint series; null otherwise. */
    step: integer('step'),
    /** Commit date on the Hub (lastModified), when known. */
    committedAt: timestamp('committed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('revisions_model_sha_ref_idx').on(t.modelId, t.sha, t.ref)],
);

export type Revision = typeof revisions.$inferSelect;

/** The files an analysis read, as stored on it and returned by the API. */
export interface CheckpointRead {
  format: string;
  /** Commit whose files were read. */
  sha: string;
  /** `refs/pr/N` when the weights came from the Hub's safetensors conversion PR. */
  ref: string | null;
  files: Array<{ path: string; size: number; sha256?: string }>;
  /** Anything a reader of the results should know about what could not be read (e.g. an adapter's base). */
  note?: string;
}

export type AnalysisStatus = 'queued' | 'running' | 'done' | 'failed';

/**
 * What an analysis is of:
 *  - `model`: the checkpoint's own weight matrices (every leaderboard number);
 *  - `delta`: ΔW = W_model − W_base of a fine-tune against a base revision (`baseRevisionId`), paired by tensor name;
 *  - `adapter`: a PEFT LoRA adapter repo's ΔW = s·B·A per module (`baseRevisionId`: its base when on the board).
 * An adapter repo has no `model` analysis: its `adapter` analysis is its main one.
 */
export type AnalysisKind = 'model' | 'delta' | 'adapter';

/** One analysis run of one revision with one set of options. Layers are stored as each completes. */
export const analyses = pgTable(
  'analyses',
  {
    id: serial('id').primaryKey(),
    modelId: text('model_id').notNull().references(() => models.id, { onDelete: 'cascade' }),
    revisionId: integer('revision_id').notNull().references(() => revisions.id, { onDelete: 'cascade' }),
    status: text('status').$type<AnalysisStatus>().notNull().default('queued'),
    kind: text('kind').$type<AnalysisKind>().notNull().default('model'),
    /** The base revision of a `delta` analysis (and of an `adapter` one whose base is on the board); else null. */
    baseRevisionId: integer('base_revision_id').references(() => revisions.id, { onDelete: 'cascade' }),
    /** Human-readable reason for a failure (e.g. "gated: needs a token with access"). */
    error: text('error'),
    /** Machine-readable failure class: gated | not_found | no_weights | unsupported_dtype | too_large | network | internal. */
    errorKind: text('error_kind'),
    options: jsonb('options').$type<AnalysisOptions>().notNull().default({}),
    /** Stable hash of options, so (revision, options) is analysed once. */
    optionsKey: text('options_key').notNull().default('default'),
    layersTotal: integer('layers_total'),
    layersDone: integer('layers_done').notNull().default(0),
    bytesTotal: bigint('bytes_total', { mode: 'number' }),
    bytesRead: bigint('bytes_read', { mode: 'number' }).notNull().default(0),
    secondsPerLayer: real('seconds_per_layer'),
    attempts: integer('attempts').notNull().default(0),
    /** Hostname/pid of the worker that last ran it. */
    worker: text('worker'),
    /** { read_s, eigen_s, fit_s, store_s, total_s } */
    timings: jsonb('timings').$type<Record<string, number>>(),
    /** WeightWatcher get_summary() plus medians and shares, written when the analysis is done. */
    summary: jsonb('summary').$type<ModelStats>(),
    /** What was read: format, the commit whose files were read (a conversion PR's head when used), the files. */
    checkpoint: jsonb('checkpoint').$type<CheckpointRead>(),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One analysis per (revision, options, kind, base revision); NULLS NOT DISTINCT keeps base-less ones unique too.
    unique('analyses_revision_options_kind_base_key')
      .on(t.revisionId, t.optionsKey, t.kind, t.baseRevisionId)
      .nullsNotDistinct(),
    index('analyses_base_revision_idx').on(t.baseRevisionId),
    index('analyses_model_idx').on(t.modelId),
    index('analyses_status_idx').on(t.status),
  ],
);

export type Analysis = typeof analyses.$inferSelect;
export type NewAnalysis = typeof analyses.$inferInsert;

/**
 * Derived, read-optimised views of a done analysis (e.g. `model-page`: what a model page draws from the layers),
 * stored once so that a page of any model costs one primary-key read. Recomputable from the layer rows at any time;
 * `version` names the derivation that wrote it (a newer one recomputes).
 */
export const analysisViews = pgTable(
  'analysis_views',
  {
    analysisId: integer('analysis_id').notNull().references(() => analyses.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    version: integer('version').notNull(),
    /** JSON text (a view the server renders from), or null when the view is `blob`. */
    data: text('data'),
    /** Bytes sent as they are (e.g. a gzip-compressed API response body), or null when the view is `data`. */
    blob: bytea('blob'),
  },
  (t) => [primaryKey({ columns: [t.analysisId, t.kind] })],
);
