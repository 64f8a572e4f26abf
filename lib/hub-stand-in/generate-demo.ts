/**
 * CLI: write the synthetic demo checkpoints (owner `demo`) into a folder the stand-in Hub can serve.
 *   npx tsx lib/hub-stand-in/generate-demo.ts <dir> [--seed N] [--force]
 */
import { parseArgs } from 'node:util';
import { generateDemoCheckpoints } from './demo-models';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seed: { type: 'string', default: '42' }, force: { type: 'boolean', default: false } },
});
const [dir] = positionals;
const seed = Number(values.seed);
if (!dir || !Number.isInteger(seed)) {
  console.error('usage: generate-demo.ts <dir> [--seed N] [--force]');
  process.exit(2);
}
const started = performance.now();
const repos = await generateDemoCheckpoints(dir, { seed, force: values.force });
for (const repo of repos) {
  const refs = repo.revisions.map((r) => `${r.ref}@${r.sha.slice(0, 8)}`);
  if (repo.pullRequest) refs.push(`${repo.pullRequest.ref}@${repo.pullRequest.sha.slice(0, 8)}`);
  console.log(
    `${repo.id.padEnd(31)} ${repo.family.padEnd(9)} ${repo.dtype.padEnd(5)} ${repo.storage.padEnd(14)} ${repo.sharded ? 'sharded' : 'single '} ${repo.spectrum.padEnd(16)} ${refs.join(' ')}`,
  );
}
console.log(`wrote ${repos.length} repos to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
