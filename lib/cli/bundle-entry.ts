/**
 * Entry point of the precompiled CLI bundle (built by ./launch.mjs): links the WebAssembly eigen backend statically,
 * because lib/spectral/eigen.ts loads it through a run-time specifier that only works from the TypeScript sources,
 * then runs the CLI (./analyze.ts runs main() when imported).
 */
import * as eigenWasm from '@/lib/spectral/eigen-wasm';
import { provideWasmBackend } from '@/lib/spectral/eigen';

provideWasmBackend(eigenWasm);
await import('./analyze');
