/**
 * Test support for the option modules (mp-fit, detx, fingers, tpl, randomize, phase): the reference set's analysed
 * tensors with their WeightWatcher option outputs, their matrices (read with the safetensors reader) and their
 * eigenvalues — the exact ones from evals.json where listed, otherwise from the spectral core's `eigenvalues()`
 * (which agrees with WeightWatcher's SVD to ~1e-13·λ_max on this set). Cached per process.
 */
import { openLocalCheckpoint, type LocalCheckpoint } from '@/lib/safetensors';
import { eigenvalues } from '../eigen';
import { CONFORMANCE_DIR, loadEvals, loadExpected, type ExpectedTensor } from './conformance-cases';

export interface OptionCase {
  key: string;
  tensor: ExpectedTensor;
  N: number;
  M: number;
  /** WeightWatcher's option runs for this tensor (`mp_fit_detX`, `fix_fingers_clip_xmax`, ...). */
  options: Record<string, Record<string, number | string | null>>;
}

const { tensors } = loadExpected();
const exact = loadEvals().evals;
const checkpoints = new Map<string, Promise<LocalCheckpoint>>();
const spectra = new Map<string, Promise<Float64Array>>();

/** Every analysed tensor of the reference set, optionally filtered. */
export function optionCases(filter: (c: OptionCase) => boolean = () => true): OptionCase[] {
  return tensors
    .filter((t) => t.analyzed)
    .map((t) => ({
      key: t.key,
      tensor: t,
      N: Math.max(t.shape[0], t.shape[1]),
      M: Math.min(t.shape[0], t.shape[1]),
      options: t.options ?? {},
    }))
    .filter(filter);
}

/** True when evals.json lists this tensor's exact eigenvalues. */
export function hasExactEvals(key: string): boolean {
  return key in exact;
}

/** The tensor's matrix, decoded as stored (row-major). */
export async function caseMatrix(c: OptionCase): Promise<{ data: Float32Array | Float64Array; rows: number; cols: number }> {
  let ck = checkpoints.get(c.tensor.file);
  if (!ck) {
    ck = openLocalCheckpoint(CONFORMANCE_DIR + c.tensor.file);
    checkpoints.set(c.tensor.file, ck);
  }
  const checkpoint = await ck;
  const entry = checkpoint.get(c.key);
  if (!entry) throw new Error(`${c.key} missing from ${c.tensor.file}`);
  const { data, rows, cols } = await checkpoint.read(entry);
  return { data, rows, cols };
}

/** Ascending eigenvalues: exact from evals.json when listed, else computed by `eigenvalues()`. */
export function caseEvals(c: OptionCase): Promise<Float64Array> {
  let p = spectra.get(c.key);
  if (!p) {
    p = hasExactEvals(c.key)
      ? Promise.resolve(Float64Array.from(exact[c.key].evals_ascending))
      : caseMatrix(c).then((m) => eigenvalues(m.data, m.rows, m.cols));
    spectra.set(c.key, p);
  }
  return p;
}
