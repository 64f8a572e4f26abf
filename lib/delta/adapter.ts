/**
 * PEFT LoRA adapter repos (adapter_config.json + adapter_model.safetensors or adapter_model.bin): the config, the
 * per-module scaling, and the spectrum of each module's ΔW = s·B·A without ever forming a d × d matrix.
 *
 * Config: `peft_type` must be LORA (DoRA — LORA with `use_dora: true` —, IA3, prompt tuning, ... are refused with
 * "unsupported adapter type <type>"); `r`, `lora_alpha`, `use_rslora`, `target_modules`, `rank_pattern`,
 * `alpha_pattern`, `base_model_name_or_path`. Scaling s = lora_alpha / r, or lora_alpha / √r with rslora;
 * `rank_pattern` / `alpha_pattern` override r / lora_alpha for a module when a key matches it as PEFT matches it: the
 * key (a regular expression) equals the module name or matches a dot-separated suffix of it (`(^|.*\.)key$`); the
 * first matching key in the file's order wins.
 *
 * Keys: PEFT saves `base_model.model.<module>.lora_A.weight` [r, d_in] and `...lora_B.weight` [d_out, r] (older
 * files `lora_A.default.weight`; embeddings `lora_embedding_A` [r, vocab] / `lora_embedding_B` [dim, r], same
 * algebra). The layer is named by the module (`base_model.model.` stripped), its tensor `<module>.weight`.
 *
 * Eigenvalues: ΔWᵀΔW (d_in × d_in) has rank ≤ r; its nonzero eigenvalues are those of s²·(AAᵀ)(BᵀB) (r × r). They
 * are computed stably as the squared singular values of s·R_B·R_Aᵀ, where B = Q_B·R_B and Aᵀ = Q_A·R_A are thin
 * Householder QRs (ΔW = s·Q_B·(R_B·R_Aᵀ)·Q_Aᵀ with orthonormal Q's), then padded with min(d_in, d_out) − r zeros,
 * which is the ESD WeightWatcher would take from the dense ΔW. Cost O((d_in + d_out)·r²).
 */
import type { CheckpointLocation, SourceTensor, TensorSource } from '@/lib/checkpoint';
import { openCheckpoint } from '@/lib/checkpoint';
import { computeSpectrum } from '@/lib/spectral/eigen';

export class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}

/** r above this is refused (an r × r SVD per module; real adapters use r ≤ 256). */
export const MAX_ADAPTER_RANK = 2048;

export interface AdapterConfig {
  peft_type: string;
  base_model_name_or_path: string | null;
  r: number;
  lora_alpha: number;
  use_rslora: boolean;
  target_modules: string | string[] | null;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
}

function numberPattern(raw: unknown, field: string): Record<string, number> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new AdapterError(`adapter_config.json: ${field} must be an object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new AdapterError(`adapter_config.json: ${field}[${JSON.stringify(k)}] must be a positive number`);
    out[k] = v;
  }
  return out;
}

/** Validates adapter_config.json; throws AdapterError with the field and the problem. */
export function parseAdapterConfig(raw: unknown): AdapterConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AdapterError('adapter_config.json: not a JSON object');
  const c = raw as Record<string, unknown>;
  const type = typeof c.peft_type === 'string' ? c.peft_type.toUpperCase() : null;
  if (type === null) throw new AdapterError('adapter_config.json: peft_type missing');
  if (type !== 'LORA') throw new AdapterError(`unsupported adapter type ${c.peft_type as string}`);
  if (c.use_dora === true) throw new AdapterError('unsupported adapter type DORA (LoRA with use_dora)');
  const r = c.r ?? 8;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new AdapterError(`adapter_config.json: r must be a positive integer, got ${JSON.stringify(c.r)}`);
  const alpha = c.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new AdapterError(`adapter_config.json: lora_alpha must be a number, got ${JSON.stringify(c.lora_alpha)}`);
  const tm = c.target_modules;
  const targets = typeof tm === 'string' || (Array.isArray(tm) && tm.every((x) => typeof x === 'string')) ? (tm as string | string[]) : null;
  return {
    peft_type: type,
    base_model_name_or_path: typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : null,
    r,
    lora_alpha: alpha,
    use_rslora: c.use_rslora === true,
    target_modules: targets,
    rank_pattern: numberPattern(c.rank_pattern, 'rank_pattern'),
    alpha_pattern: numberPattern(c.alpha_pattern, 'alpha_pattern'),
  };
}

/** The first pattern key matching the module as PEFT matches it (`(^|.*\.)key$`), or null. */
export function matchPatternKey(keys: readonly string[], module: string): string | null {
  for (const key of keys) {
    if (key === module) return key;
    let re: RegExp | null = null;
    try {
      re = new RegExp(`(^|.*\\.)${key}$`);
    } catch {
      re = null;
    }
    if (re ? re.test(module) : module.endsWith(`.${key}`)) return key;
  }
  return null;
}

export interface ModuleScaling {
  r: number;
  alpha: number;
  scale: number;
}

/** r, lora_alpha and s for one module (rank_pattern / alpha_pattern applied). */
export function moduleScaling(config: AdapterConfig, module: string): ModuleScaling {
  const rk = matchPatternKey(Object.keys(config.rank_pattern), module);
  const ak = matchPatternKey(Object.keys(config.alpha_pattern), module);
  const r = rk !== null ? config.rank_pattern[rk] : config.r;
  const alpha = ak !== null ? config.alpha_pattern[ak] : config.lora_alpha;
  return { r, alpha, scale: config.use_rslora ? alpha / Math.sqrt(r) : alpha / r };
}

export interface LoraModule {
  /** Module name (`model.layers.0.self_attn.q_proj`). */
  module: string;
  A: SourceTensor | null;
  B: SourceTensor | null;
}

const LORA_KEY = /^(?:base_model\.model\.)?(.+)\.lora_(?:embedding_)?(A|B)(?:\.[^.]+)?(?:\.weight)?$/;

/** Groups an adapter's tensors into LoRA modules (file order) and everything else. */
export function groupLoraTensors(tensors: readonly SourceTensor[]): { modules: LoraModule[]; other: SourceTensor[] } {
  const byModule = new Map<string, LoraModule>();
  const other: SourceTensor[] = [];
  for (const t of tensors) {
    if (t.scaleFor) continue;
    const m = LORA_KEY.exec(t.name);
    if (!m) {
      other.push(t);
      continue;
    }
    const mod = byModule.get(m[1]) ?? { module: m[1], A: null, B: null };
    if (m[2] === 'A') mod.A = t;
    else mod.B = t;
    byModule.set(m[1], mod);
  }
  return { modules: [...byModule.values()], other };
}

export interface LoraShape {
  r: number;
  dIn: number;
  dOut: number;
}

/**
 * Checks A [r, d_in] and B [d_out, r] against each other and the config's r for the module; returns the shape or
 * throws AdapterError with the problem (rank mismatch, transposed factors, r too large).
 */
export function checkLoraShapes(module: string, a: readonly number[], b: readonly number[], configR: number): LoraShape {
  const sh = (s: readonly number[]) => `[${s.join(', ')}]`;
  if (a.length !== 2 || b.length !== 2) throw new AdapterError(`${module}: lora_A ${sh(a)} and lora_B ${sh(b)} must be 2-D`);
  const [ra, dIn] = a;
  const [dOut, rb] = b;
  if (ra !== configR || rb !== configR) {
    if (a[1] === configR && b[0] === configR) {
      throw new AdapterError(`${module}: lora_A ${sh(a)} / lora_B ${sh(b)} look transposed (expected A [r=${configR}, d_in], B [d_out, r=${configR}])`);
    }
    if (ra !== rb) throw new AdapterError(`${module}: rank mismatch: lora_A ${sh(a)} has r=${ra}, lora_B ${sh(b)} has r=${rb}`);
    throw new AdapterError(`${module}: factors have r=${ra}, adapter_config.json says r=${configR}`);
  }
  if (configR > MAX_ADAPTER_RANK) throw new AdapterError(`${module}: r=${configR} above the cap of ${MAX_ADAPTER_RANK}`);
  if (configR > Math.min(dIn, dOut)) throw new AdapterError(`${module}: r=${configR} exceeds min(d_in, d_out)=${Math.min(dIn, dOut)}`);
  return { r: configR, dIn, dOut };
}

/**
 * R (n × n, row-major, upper triangular) of a thin Householder QR of the m × n matrix whose column j is `column(j)`
 * (m ≥ n). Only |R| matters downstream, so the signs Householder leaves are kept.
 */
function householderR(m: number, n: number, column: (j: number) => Float64Array): Float64Array {
  const x = new Float64Array(m * n); // column-major
  for (let j = 0; j < n; j++) x.set(column(j), j * m);
  const v = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    const off = k * m;
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += x[off + i] * x[off + i];
    const norm = Math.sqrt(norm2);
    if (norm === 0) continue;
    const alpha = x[off + k] > 0 ? -norm : norm;
    let vnorm2 = 0;
    for (let i = k; i < m; i++) {
      v[i] = x[off + i] - (i === k ? alpha : 0);
      vnorm2 += v[i] * v[i];
    }
    if (vnorm2 === 0) continue;
    for (let j = k; j < n; j++) {
      const o = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * x[o + i];
      const f = (2 * dot) / vnorm2;
      for (let i = k; i < m; i++) x[o + i] -= f * v[i];
    }
  }
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r[i * n + j] = x[j * m + i];
  return r;
}

/**
 * All min(d_in, d_out) eigenvalues of ΔWᵀΔW for ΔW = scale·B·A (A row-major [r, d_in], B row-major [d_out, r]),
 * ascending: the r eigenvalues of the r × r problem after min − r zeros.
 */
export async function loraEigenvalues(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: LoraShape,
  scale: number,
): Promise<Float64Array> {
  const { r, dIn, dOut } = shape;
  // Aᵀ is d_in × r: its column j is row j of A.
  const ra = householderR(dIn, r, (j) => Float64Array.from({ length: dIn }, (_, i) => a[j * dIn + i]));
  // B is d_out × r: its column j is B[:, j].
  const rb = householderR(dOut, r, (j) => Float64Array.from({ length: dOut }, (_, i) => b[i * r + j]));
  const core = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let s = 0;
      // R_B[i][k] is zero for k < i, R_A[j][k] for k < j.
      for (let k = Math.max(i, j); k < r; k++) s += rb[i * r + k] * ra[j * r + k];
      core[i * r + j] = scale * s;
    }
  }
  const { evals } = await computeSpectrum(core, r, r, { route: 'svd', subject: 'lora core' });
  const total = Math.min(dIn, dOut);
  const out = new Float64Array(total);
  out.set(evals, total - r);
  return out;
}

export interface OpenedAdapter {
  label: string;
  config: AdapterConfig;
  /** The adapter weights file as a tensor source (lora_A / lora_B factors). */
  source: TensorSource;
}

/** True when the location holds a PEFT adapter (adapter_config.json at its top level). */
export async function isAdapterLocation(location: CheckpointLocation): Promise<boolean> {
  return (await location.list()).some((f) => f.path === 'adapter_config.json');
}

/** Reads adapter_config.json and opens adapter_model.safetensors (else adapter_model.bin) through the seam. */
export async function openAdapter(location: CheckpointLocation): Promise<OpenedAdapter> {
  const files = await location.list();
  const config = parseAdapterConfig(await location.readJson('adapter_config.json'));
  const weights =
    files.find((f) => f.path === 'adapter_model.safetensors') ?? files.find((f) => f.path === 'adapter_model.bin');
  if (!weights) throw new AdapterError(`${location.label}: adapter_config.json but no adapter_model.safetensors or adapter_model.bin`);
  const source = await openCheckpoint(location, [weights]);
  return { label: location.label, config, source };
}
