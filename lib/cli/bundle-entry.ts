/**
 * Entry point of the precompiled CLI bundle (built by ./launch.mjs): links the WebAssembly eigen backend statically,
 * because lib/spectral/eigen.ts loads it through a run-time specifier that only works from the TypeScript sources,
 * then runs the CLI (./analyze.ts runs main() when imported).
 *
 * Unless the run only prints the usage, the backend is also started here (kernels compiled, worker threads booted,
 * self-check run) so that it overlaps the opening and reading of the first tensor instead of following it.
 * ALPHABOARD_PREWARM=0 turns that off.
 */
import * as eigenWasm from '@/lib/spectral/eigen-wasm';
import { eigenBackend, provideWasmBackend } from '@/lib/spectral/eigen';

provideWasmBackend(eigenWasm);
const argv = process.argv.slice(2);
if (process.env.ALPHABOARD_PREWARM !== '0' && argv.length > 0 && !argv.includes('--help') && !argv.includes('-h')) {
  void eigenBackend().catch(() => undefined);
}
await import('./analyze');
