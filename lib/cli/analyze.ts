/**
 * `npm run -s analyze -- <file.safetensors | folder | owner/name> [--json] [options]`: WeightWatcher's analyze() on
 * a safetensors checkpoint, one tensor at a time (see ./args.ts for the flags, ./format.ts for the output).
 *
 * stdout: the JSON document (--json) or an aligned table; stderr: per-tensor progress (table mode) and errors.
 * Exit codes: 0 all tensors handled; 1 the source could not be opened (corrupt header, missing repo, ...);
 * 2 bad usage; 3 some tensors could not be analysed (they are listed with an "error:" skip_reason).
 */
import { analyzeCheckpoint } from './run-analysis';
import { CliUsageError, parseCliArgs, USAGE } from './args';
import { toJsonDocument, toTable } from './format';
import { openSource } from './sources';

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
  let source;
  try {
    source = await openSource(args.source);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return err instanceof CliUsageError ? 2 : 1;
  }
  const quiet = args.json;
  const report = await analyzeCheckpoint(source, args.options, ({ index, total, layer, seconds }) => {
    if (layer.skip_reason?.startsWith('error:')) process.stderr.write(`${layer.skip_reason}\n`);
    if (quiet) return;
    const what =
      layer.status === 'skipped'
        ? `skipped (${layer.skip_reason})`
        : `${layer.status} alpha=${typeof layer.alpha === 'number' ? layer.alpha.toFixed(4) : '-'}`;
    process.stderr.write(`[${index + 1}/${total}] ${layer.tensor} ${layer.shape.join('x')} ${what} ${seconds.toFixed(2)}s\n`);
  });
  process.stdout.write(`${args.json ? toJsonDocument(report) : toTable(report)}\n`);
  return report.errors > 0 ? 3 : 0;
}

/** Exit explicitly once stdout is flushed: kernel worker threads or open handles must not keep a finished CLI alive. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  exitAfterFlush(1);
});
