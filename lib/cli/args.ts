/**
 * Command-line options of `npm run analyze` (node:util parseArgs), mapped onto the spectral core's AnalysisOptions.
 * Flags mirror WeightWatcher's analyze() keywords: --mp-fit, --detx, --randomize [--seed N], --fix-fingers clip_xmax,
 * --xmax -k, --fit PL|TPL. Bad values throw CliUsageError with the flag and the problem.
 */
import { parseArgs } from 'node:util';
import type { AnalysisOptions } from '@/lib/types';

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export const USAGE = `usage: npm run -s analyze -- <file.safetensors | folder | owner/name[@revision]> [options]
       npm run -s analyze -- <fine-tune> --base <base model> [options]   (what training changed: ΔW = W_ft - W_base)
       npm run -s analyze -- <PEFT adapter folder | owner/name> [options] (LoRA: ΔW = s·B·A per module)

  --base SOURCE           analyse ΔW = W_ft - W_base per tensor paired by name (file, folder or repo id), with the
                          delta columns (delta_rel_frobenius, delta_spectral_ratio, delta_stable_rank,
                          delta_effective_rank, delta_alpha); tensors in one model only are "unmatched", identical
                          ones "unchanged". A folder or repo with adapter_config.json is analysed as a LoRA adapter.
  --json                  print one JSON document on stdout (non-finite numbers as null)
  --mp-fit                Marchenko-Pastur fit columns (mp_softrank, num_spikes, sigma_mp, bulk_max, bulk_min, W_scale)
  --detx                  detX columns (detX_num, detX_val, detX_val_unrescaled)
  --randomize             randomized-ESD columns (rand_*, ww_softrank, ww_maxdist, max_rand_eval)
  --seed N                seed for --randomize (default: a fixed seed, so repeated runs agree)
  --fix-fingers clip_xmax clip finger eigenvalues before the fit (num_fingers, raw_alpha)
  --xmax -k               drop the k largest eigenvalues before the fit
  --fit PL|TPL            power law (default) or truncated power law (Lambda)
  -h, --help              this text`;

export interface CliArgs {
  source: string;
  /** --base: the base model of a fine-tune (delta analysis). */
  base: string | null;
  json: boolean;
  options: AnalysisOptions;
}

/** `--xmax -1` would read as a flag: glue a negative number onto the preceding value-taking option. */
function glueNegativeValues(argv: readonly string[]): string[] {
  const valued = new Set(['--xmax', '--seed']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (valued.has(argv[i]) && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

function parseInteger(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new CliUsageError(`${flag}: expected an integer, got '${value}'`);
  return Number.parseInt(value, 10);
}

/** Parses argv (without node and script). Returns null for --help. */
export function parseCliArgs(argv: readonly string[]): CliArgs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: glueNegativeValues(argv),
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        'mp-fit': { type: 'boolean', default: false },
        detx: { type: 'boolean', default: false },
        randomize: { type: 'boolean', default: false },
        seed: { type: 'string' },
        'fix-fingers': { type: 'string' },
        xmax: { type: 'string' },
        fit: { type: 'string' },
        base: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  if (parsed.positionals.length !== 1) {
    throw new CliUsageError(
      parsed.positionals.length === 0 ? 'missing the checkpoint to analyse' : `expected one source, got ${parsed.positionals.length}`,
    );
  }
  const options: AnalysisOptions = {};
  if (v['mp-fit']) options.mpFit = true;
  if (v.detx) options.detX = true;
  if (v.randomize) options.randomize = true;
  if (v.seed !== undefined) {
    if (!v.randomize) throw new CliUsageError('--seed only applies with --randomize');
    options.seed = parseInteger('--seed', v.seed);
  }
  if (v['fix-fingers'] !== undefined) {
    if (v['fix-fingers'] !== 'clip_xmax') {
      throw new CliUsageError(`--fix-fingers: only 'clip_xmax' is supported, got '${v['fix-fingers']}'`);
    }
    options.fixFingers = 'clip_xmax';
  }
  if (v.xmax !== undefined) {
    const k = parseInteger('--xmax', v.xmax);
    if (k >= 0) throw new CliUsageError(`--xmax: expected a negative integer -k (drop the k largest), got ${k}`);
    options.xmax = k;
  }
  if (v.fit !== undefined) {
    const fit = v.fit.toUpperCase();
    if (fit !== 'PL' && fit !== 'TPL') throw new CliUsageError(`--fit: expected PL or TPL, got '${v.fit}'`);
    options.fit = fit;
  }
  if (v.base !== undefined && v.base.trim() === '') throw new CliUsageError('--base: expected a base model (file, folder or owner/name)');
  return { source: parsed.positionals[0], base: v.base ?? null, json: v.json, options };
}
