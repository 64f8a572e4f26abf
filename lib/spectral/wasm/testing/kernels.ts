/**
 * Test access to the WebAssembly kernels without the worker pool: one instance of a build on its own
 * shared memory, run on the calling thread (nthreads = 1, so barriers return at once), with a bump
 * allocator of f64 arrays in that memory.
 */
import { loadKernelModule, type WasmVariant } from '../pool';

export interface KernelInstance {
  // the kernels take raw byte offsets and sizes: see lib/spectral/wasm/assembly/index.ts
  exports: Record<string, (...args: number[]) => number>;
  memory: WebAssembly.Memory;
  /** Byte offset of `count` zeroed f64 (64-byte aligned), growing the memory as needed. */
  alloc(count: number): number;
  /** The f64 view of `count` values at byte offset `at` (valid until the next alloc). */
  f64(at: number, count: number): Float64Array;
}

export function instantiateKernels(variant: WasmVariant): KernelInstance | null {
  const module = loadKernelModule(variant);
  if (!module) return null;
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } });
  let next = 1 << 20; // the first MiB is the module's own
  const alloc = (count: number) => {
    const at = next;
    next = Math.ceil((next + count * 8) / 64) * 64;
    const have = memory.buffer.byteLength;
    if (next > have) memory.grow(Math.ceil((next - have) / 65536));
    new Float64Array(memory.buffer, at, count).fill(0);
    return at;
  };
  return {
    exports: instance.exports as KernelInstance['exports'],
    memory,
    alloc,
    f64: (at, count) => new Float64Array(memory.buffer, at, count),
  };
}
