/**
 * `npm run -s analyze -- <file.safetensors | folder | owner/name> [--json] [options]`: WeightWatcher's analyze() on
 * a safetensors checkpoint, one tensor at a time (see ./args.ts for the flags, ./format.ts for the output).
 *
 * stdout: the JSON document (--json) or an aligned table; stderr: per-tensor progress (table mode) and errors.
 * With --base: ΔW = W_ft − W_base per paired tensor (lib/delta/run-delta.ts); a folder or repo holding
 * adapter_config.json: a PEFT LoRA adapter, ΔW = s·B·A per module (lib/delta/adapter.ts).
 * Exit codes: 0 all tensors handled; 1 the source could not be opened (corrupt header, missing repo, no tensor
 * pairs between a fine-tune and its base, unsupported adapter type, ...);
 * 2 bad usage; 3 some tensors could not be analysed (they are listed with an "error:" skip_reason).
 */
import { analyzeAdapter, analyzeDelta, type DeltaReport } from '@/lib/delta/run-delta';
import { analyzeCheckpoint, type AnalysisReport } from './run-analysis';
import { CliUsageError, parseCliArgs, USAGE } from './args';
import { toJsonDocument, toTable } from './format';
import { openAdapterIfAny, openSource } from './sources';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const quiet = args.json;
  const progress = ({ index, total, layer, seconds }: ProgressLike) => {
    if (layer.skip_reason?.startsWith('error:')) process.stderr.write(`${layer.skip_reason}\n`);
    if (quiet) return;
    const what =
      layer.status === 'skipped'
        ? `skipped (${layer.skip_reason})`
        : layer.status === 'unmatched'
          ? `unmatched (${layer.reason})`
          : layer.status === 'unchanged'
            ? 'unchanged (ΔW = 0)'
          : `${layer.status} alpha=${typeof layer.alpha === 'number' ? layer.alpha.toFixed(4) : '-'}`;
    process.stderr.write(`[${index + 1}/${total}] ${layer.tensor} ${layer.shape.join('x')} ${what} ${seconds.toFixed(2)}s\n`);
  };
  let report: AnalysisReport | DeltaReport;
  try {
    const openBase = async (spec: string) => {
      try {
        return await openSource(spec);
      } catch (err) {
        throw Object.assign(new Error(`--base ${spec}: ${(err as Error).message}`), { usage: err instanceof CliUsageError });
      }
    };
    const adapter = await openAdapterIfAny(args.source);
    if (adapter) {
      if (args.options.randomize) throw new CliUsageError('--randomize needs the dense matrix; an adapter is analysed from its factors');
      // With --base, each module must fit the base and W_base + ΔW is analysed too (delta_alpha, relative sizes).
      const base = args.base !== null ? await openBase(args.base) : undefined;
      report = await analyzeAdapter(adapter, args.options, progress, { base });
    } else if (args.base !== null) {
      const model = await openSource(args.source);
      report = await analyzeDelta(model, await openBase(args.base), args.options, progress);
    } else {
      const source = await openSource(args.source);
      report = await analyzeCheckpoint(source, args.options, progress);
    }
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return err instanceof CliUsageError || (err as { usage?: boolean }).usage ? 2 : 1;
  }
  process.stdout.write(`${args.json ? toJsonDocument(report) : toTable(report)}\n`);
  return report.errors > 0 ? 3 : 0;
}

interface ProgressLike {
  index: number;
  total: number;
  seconds: number;
  layer: { tensor: string; shape: number[]; status: string; skip_reason?: string; reason?: string; alpha?: number };
}

/** Exit explicitly once stdout is flushed: kernel worker threads or open handles must not keep a finished CLI alive. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  exitAfterFlush(1);
});
