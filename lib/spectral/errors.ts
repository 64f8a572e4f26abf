/**
 * The one error type the spectral core throws.
 *
 * Callers (the CLI, the analysis job) catch it to record a per-layer failure with a readable reason instead of
 * crashing a whole model's analysis. `code` is a stable machine-readable tag; `subject` names the thing that was
 * wrong (a tensor key when the caller supplied one, otherwise the argument name).
 */
export type SpectralErrorCode =
  | 'non_finite'
  | 'empty'
  | 'bad_shape'
  | 'not_sorted'
  | 'unavailable'
  | 'no_convergence'
  | 'bad_option';

export class SpectralError extends Error {
  readonly code: SpectralErrorCode;
  readonly subject: string;

  constructor(code: SpectralErrorCode, subject: string, message: string) {
    super(`${subject}: ${message}`);
    this.name = 'SpectralError';
    this.code = code;
    this.subject = subject;
  }
}
