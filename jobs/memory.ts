import type { LayerUnit } from '@/lib/checkpoint/layer-units';

/**
 * Memory of the analysis pipeline (jobs/analyze-model.ts, jobs/compute-worker.ts).
 *
 * A tensor read leaves large garbage behind: the HTTP body's chunks, the raw bytes once decoded (BF16: half the
 * decoded float32 again), and in the compute thread the matrix it was handed once its analysis is done. V8 frees
 * such ArrayBuffers only when it collects garbage, and an idle thread (the main thread while the kernels run, the
 * compute thread between tasks) does not: measured on a 7B-shaped checkpoint, a 32000x4096 embedding's raw bytes
 * and body chunks (~0.5 GB) stayed resident through the next layer's whole analysis. So the pipeline collects
 * garbage once after each tensor read and after each analysis (a few ms on these small heaps), and holds a
 * prefetched tensor only when it is small enough (`shouldPrefetch`).
 */

type Gc = () => void;
let gc: Gc | null | undefined;

/** Runs a full garbage collection now, where the runtime allows it (`ALPHABOARD_COLLECT_GARBAGE=0` turns it off). */
export function collectGarbage(): void {
  if (gc === undefined) {
    gc = null;
    if (process.env.ALPHABOARD_COLLECT_GARBAGE !== '0') {
      try {
        const existing = (globalThis as { gc?: Gc }).gc;
        if (typeof existing === 'function') gc = existing;
        else {
          // Fetched at run time: this module also runs inside the Next server bundle.
          const v8 = process.getBuiltinModule('node:v8') as typeof import('node:v8');
          const vm = process.getBuiltinModule('node:vm') as typeof import('node:vm');
          v8.setFlagsFromString('--expose-gc');
          gc = vm.runInNewContext('gc') as Gc;
        }
      } catch {
        gc = null;
      }
    }
  }
  gc?.();
}

/** Float dtypes whose decoded values alias the raw bytes (no second copy is made). */
const DECODED_IN_PLACE = new Set(['F32', 'F64']);

/**
 * Bytes a read of `unit` holds once decoded: the raw bytes plus, for narrower dtypes, the float32 values. An upper
 * bound for BF16, which reads for analysis keep as its bits (lib/spectral/bf16-matrix.ts) unless it is a strided
 * PyTorch view.
 */
export function decodedBytes(unit: Pick<LayerUnit, 'bytes' | 'shape'>, dtype: string): number {
  if (DECODED_IN_PLACE.has(dtype)) return unit.bytes;
  const numel = unit.shape.reduce((a, b) => a * b, 1);
  return unit.bytes + numel * 4;
}

/**
 * Whether to read `unit` while the previous layer is analysed (prefetch), or only after it: a prefetched tensor is
 * held beside the one in the kernels, so one above `maxBytes` decoded (PREFETCH_MAX_BYTES; a 32000x4096 BF16
 * embedding is 0.79 GB, an 11008x4096 MLP matrix 0.27 GB) is read afterwards, costing its read time once.
 */
export function shouldPrefetch(unit: Pick<LayerUnit, 'bytes' | 'shape'>, dtype: string, maxBytes: number): boolean {
  return decodedBytes(unit, dtype) <= maxBytes;
}
