/**
 * Named input guards for the spectral core. Each throws a SpectralError naming the argument and the problem, so a
 * bad tensor surfaces as "model.layers.3.mlp.up_proj.weight: 12 non-finite values (first at row 0, col 17: NaN)"
 * rather than as a NaN alpha three steps later.
 */
import { SpectralError } from './errors';

type NumericArray = Float32Array | Float64Array | ArrayLike<number>;

/** Rejects empty vectors (a fit or a norm over nothing is meaningless). */
export function assertNonEmpty(values: { length: number }, subject = 'values'): void {
  if (values.length === 0) throw new SpectralError('empty', subject, 'is empty');
}

/**
 * Rejects any NaN or ±Infinity. For a matrix (`cols` given) the first offender is reported by row and column.
 * One linear pass; `x - x !== 0` is true exactly for NaN and ±Infinity.
 */
export function assertFinite(values: NumericArray, subject = 'values', cols?: number): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x - x !== 0) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0) return;
  const where =
    cols && cols > 0 ? `row ${Math.floor(first / cols)}, col ${first % cols}` : `index ${first}`;
  throw new SpectralError(
    'non_finite',
    subject,
    `${count} non-finite value${count === 1 ? '' : 's'} (first at ${where}: ${values[first]})`,
  );
}

/** Checks that `data` holds exactly rows × cols values of a non-empty 2-D matrix. */
export function assertMatrixShape(
  data: { length: number },
  rows: number,
  cols: number,
  subject = 'matrix',
): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new SpectralError('bad_shape', subject, `invalid shape ${rows}x${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new SpectralError(
      'bad_shape',
      subject,
      `holds ${data.length} values but shape ${rows}x${cols} needs ${rows * cols}`,
    );
  }
}

/** Ascending order is the contract of every function taking an ESD; checking it is O(n). */
export function assertAscending(values: NumericArray, subject = 'evals'): void {
  for (let i = 1; i < values.length; i++) {
    if (!(values[i - 1] <= values[i])) {
      throw new SpectralError('not_sorted', subject, `not ascending at index ${i} (${values[i - 1]} > ${values[i]})`);
    }
  }
}
