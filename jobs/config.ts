import { z } from 'zod';
import type { AnalysisOptions } from '@/lib/types';

/**
 * Settings of the ingestion side, read once from the environment (documented in the README, "Configuration").
 * Invalid values fail at start with the variable's name, not later in a job.
 */
const KNOWN_ANALYSIS_OPTIONS = ['mp_fit', 'detX', 'randomize', 'clip_xmax'];

const EnvSchema = z.object({
  /** Cron for discovery (pg-boss schedule, fires once across all workers). `off` disables discovery. */
  DISCOVERY_CRON: z.string().trim().min(1).default('0 */6 * * *'),
  /** How many repos one discovery run takes from the Hub listing. */
  DISCOVERY_LIMIT: z.coerce.number().int().min(0).default(10),
  /** Parameter cap for discovered repos. */
  DISCOVERY_MAX_PARAMS: z.coerce.number().positive().default(2e9),
  /** Discovery sort: downloads | trendingScore | likes. */
  DISCOVERY_SORT: z.enum(['downloads', 'trendingScore', 'likes']).default('downloads'),
  /** `default` (jobs/watchlist.ts), `demo` (the stand-in Hub's demo repos), `none`, or a JSON file path. */
  WATCHLIST: z.string().trim().default('default'),
  /** Seconds a worker may hold an analysis job before pg-boss considers it dead and hands it to another worker. */
  JOB_LEASE_SECONDS: z.coerce.number().int().min(4).max(6 * 3600).default(900),
  /**
   * Seconds between two heartbeats of a running analysis' claim; three missed beats make the claim stale, and a live
   * worker then takes the analysis over. Default: min(15, JOB_LEASE_SECONDS / 6).
   */
  JOB_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).optional(),
  /** Retries of a job failing with a transient error (network, database). */
  JOB_RETRY_LIMIT: z.coerce.number().int().min(0).default(6),
  /** First retry delay in seconds; doubled with jitter by pg-boss (retryBackoff). */
  JOB_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).default(15),
  /** Analyses a worker process runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** Largest checkpoint (bytes of its weight files) a worker accepts; bigger ones fail with "too_large". */
  MAX_CHECKPOINT_BYTES: z.coerce.number().positive().default(20e9),
  /**
   * WeightWatcher options every board analysis runs with, comma-separated: mp_fit, detX, randomize (seeded),
   * clip_xmax. mp_fit and detX cost milliseconds per layer and feed the ESD viewer's MP bulk, the detX chart and the
   * phase labels; randomize adds one eigen-solve per layer (correlation traps).
   */
  ANALYSIS_OPTIONS: z
    .string()
    .trim()
    .default('mp_fit,detX')
    .refine((v) => v === '' || v.split(',').every((o) => KNOWN_ANALYSIS_OPTIONS.includes(o.trim())), {
      message: 'expected a comma-separated list of mp_fit, detX, randomize, clip_xmax',
    }),
  /** worker_threads computing spectra in one process. */
  COMPUTE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * Largest tensor (raw + decoded bytes) read ahead while the previous layer is analysed; bigger ones (embeddings,
   * lm_head) are read after it, so two large matrices are never held at once (jobs/memory.ts).
   */
  PREFETCH_MAX_BYTES: z.coerce.number().min(0).default(512e6),
});

export type JobsConfig = z.infer<typeof EnvSchema>;

export function jobsConfig(env: NodeJS.ProcessEnv = process.env): JobsConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${issues}`);
  }
  return parsed.data;
}

/** The AnalysisOptions of board analyses, from ANALYSIS_OPTIONS. */
export function boardAnalysisOptions(env: NodeJS.ProcessEnv = process.env): AnalysisOptions {
  const names = new Set(jobsConfig(env).ANALYSIS_OPTIONS.split(',').map((o) => o.trim()).filter(Boolean));
  const options: AnalysisOptions = {};
  if (names.has('mp_fit')) options.mpFit = true;
  if (names.has('detX')) options.detX = true;
  if (names.has('randomize')) Object.assign(options, { randomize: true, seed: 0 });
  if (names.has('clip_xmax')) options.fixFingers = 'clip_xmax';
  return options;
}
