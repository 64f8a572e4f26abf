/**
 * Errors raised while reading PyTorch checkpoints (torch.save zip or legacy files).
 *
 * PytorchCheckpointError extends SafetensorsError so code that already reports `{file, tensor, problem}` for
 * safetensors files handles PyTorch files the same way; messages read `<file>: <problem>` or
 * `<file>: tensor "<name>": <problem>`. Integer/bool tensors and NaN/Inf weights raise the safetensors
 * UnsupportedDtypeError / NonFiniteTensorError, so callers skip or fail such layers exactly as for safetensors.
 */
import { SafetensorsError } from '@/lib/safetensors/errors';

export interface PytorchCheckpointErrorInit {
  file: string;
  tensor?: string | null;
  problem: string;
  cause?: unknown;
}

/** A malformed, truncated, unsupported or refused (non-allow-listed content) PyTorch checkpoint. */
export class PytorchCheckpointError extends SafetensorsError {
  constructor(init: PytorchCheckpointErrorInit) {
    super(init);
    this.name = 'PytorchCheckpointError';
  }
}

/**
 * The pickle references a global (class or function) outside the allow-list. Nothing named in a pickle is ever
 * imported or called; this only reports what was refused.
 */
export class DisallowedGlobalError extends PytorchCheckpointError {
  readonly global: string;

  constructor(init: { file: string; global: string; problem?: string }) {
    super({
      file: init.file,
      problem:
        init.problem ??
        `pickle references the global "${init.global}", which is not on the allow-list of state-dict types; refused`,
    });
    this.name = 'DisallowedGlobalError';
    this.global = init.global;
  }
}
