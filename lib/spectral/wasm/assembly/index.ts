// Entry points of spectral.wasm. The module imports a shared memory; the host (pool.ts) owns the
// layout of that memory and passes raw byte offsets. Kernels allocate nothing.
export { gramLower } from './gram';
export { tridiagLower } from './tridiag';
export { tqlRootFree } from './tql';
export { denseToBand } from './dense-band';
export { bandToTridiag, bandToTridiagSpmd } from './band-tridiag';
export { scanRowsF32, scanRowsBf16 } from './scan';
