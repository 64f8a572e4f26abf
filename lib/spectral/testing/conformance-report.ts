/**
 * Prints the measured agreement with WeightWatcher 0.7.5.5 on the reference set: the largest relative error of
 * every default column over all analysed tensors, per eigen route ('auto' = the production policy, 'gram' = the
 * Gram route alone), and the route the policy chose per tensor.
 *
 *   npx tsx lib/spectral/testing/conformance-report.ts
 */
import { openLocalCheckpoint } from '@/lib/safetensors';
import { analyzeMatrix } from '../analyze-matrix';
import { CONFORMANCE_DIR, compareDefaultColumns, loadExpected } from './conformance-cases';

async function main(): Promise<void> {
  const { tensors } = loadExpected();
  const analysed = tensors.filter((t) => t.analyzed);
  for (const route of ['auto', 'gram'] as const) {
    const worst: Record<string, { err: number; key: string }> = {};
    const routes: Record<string, number> = {};
    let failures = 0;
    for (const t of analysed) {
      const ck = await openLocalCheckpoint(CONFORMANCE_DIR + t.file);
      const m = await ck.read(ck.get(t.key)!);
      const result = await analyzeMatrix(m.data, m.rows, m.cols, { route });
      routes[result.route] = (routes[result.route] ?? 0) + 1;
      const { problems, errors } = compareDefaultColumns(result.metrics as unknown as Record<string, unknown>, t.default!);
      if (problems.length > 0) {
        failures++;
        console.log(`  ${route} ${t.key}: ${problems.join('; ')}`);
      }
      for (const [col, err] of Object.entries(errors)) {
        if (!worst[col] || err > worst[col].err) worst[col] = { err, key: t.key };
      }
    }
    console.log(`route=${route}: ${analysed.length} tensors, ${failures} outside tolerance, routes used ${JSON.stringify(routes)}`);
    for (const [col, { err, key }] of Object.entries(worst)) {
      console.log(`  ${col.padEnd(18)} max rel err ${err.toExponential(2)}  (${key})`);
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
