/**
 * Loads WeightWatcher's reference outputs (lib/spectral/__fixtures__/conformance, copied from the shared
 * conformance set) and states the tolerance each default column is held to (the spectral-core issue):
 * 1e-6 relative for the continuous fit/norm columns, exact for counts, 1e-4 relative for entropy, sv_min to 1e-6
 * relative or within 1e-7·sv_max, identical strings for status and warning.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR = fileURLToPath(new URL('../__fixtures__/conformance/', import.meta.url));

export interface ExpectedTensor {
  key: string;
  file: string;
  dtype: string;
  shape: number[];
  analyzed: boolean;
  skip_reason?: string;
  default?: Record<string, number | string | null>;
  options?: Record<string, Record<string, number | string | null>>;
}

export const REL_1E6_COLUMNS = [
  'alpha', 'D', 'xmin', 'xmax', 'sigma', 'lambda_max', 'sv_max', 'norm', 'log_norm', 'spectral_norm',
  'log_spectral_norm', 'alpha_weighted', 'log_alpha_norm', 'stable_rank', 'Q',
] as const;
export const EXACT_COLUMNS = [
  'N', 'M', 'num_evals', 'num_pl_spikes', 'rank_loss', 'weak_rank_loss', 'matrix_rank', 'status', 'warning',
] as const;

/** The JSON file's non-finite encoding ("NaN", "Infinity", "-Infinity") back to numbers. */
export function decodeNumber(v: unknown): unknown {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

export function loadExpected(): { tensors: ExpectedTensor[]; summaries: Record<string, Record<string, unknown>> } {
  const raw = JSON.parse(readFileSync(CONFORMANCE_DIR + 'expected.json', 'utf8')) as Record<string, unknown>;
  const tensors: ExpectedTensor[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('_')) continue;
    tensors.push({ key, ...(value as Omit<ExpectedTensor, 'key'>) });
  }
  return { tensors, summaries: raw._summaries as Record<string, Record<string, unknown>> };
}

export function loadEvals(): {
  evals: Record<string, { file: string; shape: number[]; dtype: string; evals_ascending: number[] }>;
  wwfit_candidate_arrays: Record<string, { xmins: number[]; alphas: number[]; Ds: number[]; sigmas: number[] }>;
} {
  return JSON.parse(readFileSync(CONFORMANCE_DIR + 'evals.json', 'utf8'));
}

export function relErr(got: number, want: number): number {
  if (got === want) return 0;
  if (Number.isNaN(got) && Number.isNaN(want)) return 0;
  return Math.abs(got - want) / Math.max(Math.abs(want), Number.MIN_VALUE);
}

/** Problems found comparing one layer's columns with WeightWatcher's, and the relative error per column. */
export function compareDefaultColumns(
  got: Record<string, unknown>,
  want: Record<string, unknown>,
): { problems: string[]; errors: Record<string, number> } {
  const problems: string[] = [];
  const errors: Record<string, number> = {};
  for (const col of REL_1E6_COLUMNS) {
    const w = decodeNumber(want[col]);
    const g = got[col];
    if (w === null || w === undefined) {
      if (g !== null && g !== undefined) problems.push(`${col}: got ${String(g)}, want null`);
      continue;
    }
    const e = relErr(g as number, w as number);
    errors[col] = e;
    if (!(e <= 1e-6)) problems.push(`${col}: got ${String(g)}, want ${String(w)} (rel ${e.toExponential(2)})`);
  }
  for (const col of EXACT_COLUMNS) {
    if (got[col] !== want[col]) problems.push(`${col}: got ${String(got[col])}, want ${String(want[col])}`);
  }
  const ent = relErr(got.entropy as number, decodeNumber(want.entropy) as number);
  errors.entropy = ent;
  if (!(ent <= 1e-4)) problems.push(`entropy: got ${String(got.entropy)}, want ${String(want.entropy)}`);
  const svMinWant = want.sv_min as number;
  const svMinGot = got.sv_min as number;
  const svErr = relErr(svMinGot, svMinWant);
  errors.sv_min = svErr;
  if (!(svErr <= 1e-6 || Math.abs(svMinGot - svMinWant) <= 1e-7 * (want.sv_max as number))) {
    problems.push(`sv_min: got ${svMinGot}, want ${svMinWant}`);
  }
  return { problems, errors };
}
