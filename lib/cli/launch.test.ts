/**
 * The precompiled start-up of `npm run analyze` (lib/cli/launch.mjs): same output as the TypeScript sources through
 * tsx, the WebAssembly backend linked into the bundle, and the bundle's input list covering the sources it was built
 * from (so that an edit triggers a rebuild).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_DIR } from '@/lib/spectral/testing/conformance-cases';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TINY = path.join(CONFORMANCE_DIR, 'tinyllama.safetensors');

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout });
    });
  });
}

describe('precompiled CLI launcher', () => {
  it('prints the usage and matches the tsx run byte for byte', async () => {
    const help = await run(process.execPath, ['lib/cli/launch.mjs', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run -s analyze/);
    const [bundled, sources] = await Promise.all([
      run(process.execPath, ['lib/cli/launch.mjs', TINY, '--json']),
      run(path.join(ROOT, 'node_modules/.bin/tsx'), ['lib/cli/analyze.ts', TINY, '--json']),
    ]);
    expect(bundled.code).toBe(0);
    expect(sources.code).toBe(0);
    expect(bundled.stdout).toBe(sources.stdout);
    const meta = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/.cache/alphaboard/analyze.inputs.json'), 'utf8'));
    for (const f of ['lib/cli/analyze.ts', 'lib/spectral/eigen-wasm.ts', 'lib/spectral/wasm/pool.ts', 'tsconfig.json', 'lib/cli/launch.mjs']) {
      expect(Object.keys(meta.inputs)).toContain(f);
    }
    const bundle = readFileSync(path.join(ROOT, 'node_modules/.cache/alphaboard/analyze.mjs'), 'utf8');
    expect(bundle).toContain('provideWasmBackend(');
  }, 120_000);
});
