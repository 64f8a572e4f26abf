/**
 * Pairing a fine-tune's matrices with its base model's, by NAME, for delta analysis (ΔW = W_ft − W_base).
 *
 * Units are the checkpoint seam's layer units (lib/checkpoint/layer-units: one per 2-D tensor, one per expert slice
 * of a 3-D expert stack), so a MoE expert pairs with the same expert of the base.
 *
 * Rules (in this order):
 *  1. exact key: a unit pairs with the base unit of the same tensor name (and expert slice);
 *  2. normalised key: the rest pair when their names agree after stripping known wrapper prefixes
 *     (`base_model.model.`, `module.`, `_orig_mod.`, `model.`, `transformer.`, repeatedly) and the normalised name
 *     is unique on both sides (an ambiguous normalised name is never guessed);
 *  3. a unit on one side only is `unmatched` with the reason ("only in the fine-tune" / "only in the base");
 *  4. a pair whose shapes differ only in the row count (an embedding or lm_head resized for added tokens) is kept:
 *     ΔW is taken over the first min(rows) rows (the base's rows when tokens were added) and the pair says so;
 *     any other shape mismatch becomes `unmatched` with both shapes in the reason.
 * Order: the fine-tune's units in checkpoint order, then the base-only units in the base's order.
 */
import { layerUnits, type LayerUnit, type SourceTensor } from '@/lib/checkpoint';
import type { AnalysisOptions } from '@/lib/types';

/** Wrapper prefixes that do not change what a tensor is (PEFT, DDP, torch.compile, *ForCausalLM / GPT-2 wrappers). */
export const WRAPPER_PREFIXES = ['base_model.model.', 'module.', '_orig_mod.', 'model.', 'transformer.'] as const;

/** The name without any leading wrapper prefixes (applied repeatedly: `module.model.x` → `x`). */
export function normaliseTensorName(name: string): string {
  let out = name;
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of WRAPPER_PREFIXES) {
      if (out.startsWith(p) && out.length > p.length) {
        out = out.slice(p.length);
        changed = true;
      }
    }
  }
  return out;
}

export interface DeltaPair {
  kind: 'pair';
  model: LayerUnit;
  base: LayerUnit;
  /** Rows of ΔW: min of both row counts (differs from a side's rows only for a resized embedding / lm_head). */
  rows: number;
  cols: number;
  /** Set when the row counts differ. */
  resized: { modelRows: number; baseRows: number } | null;
}

export interface UnmatchedUnit {
  kind: 'unmatched';
  side: 'model' | 'base';
  unit: LayerUnit;
  /** The other side's unit when the names matched but the shapes do not fit. */
  other: LayerUnit | null;
  reason: string;
}

export type PairingEntry = DeltaPair | UnmatchedUnit;

function slotKey(name: string, unit: LayerUnit): string {
  return unit.slice ? `${name}#${unit.expert}` : name;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function pairOrMismatch(model: LayerUnit, base: LayerUnit): PairingEntry {
  const a = model.shape;
  const b = base.shape;
  const same = a.length === b.length && a.every((d, i) => d === b[i]);
  if (same) {
    return { kind: 'pair', model, base, rows: a[0] ?? 1, cols: a.length >= 2 ? a[1] : 1, resized: null };
  }
  if (a.length === 2 && b.length === 2 && a[1] === b[1]) {
    return {
      kind: 'pair', model, base,
      rows: Math.min(a[0], b[0]),
      cols: a[1],
      resized: { modelRows: a[0], baseRows: b[0] },
    };
  }
  return {
    kind: 'unmatched', side: 'model', unit: model, other: base,
    reason: `shape mismatch: fine-tune ${shapeText(a)} vs base ${shapeText(b)}`,
  };
}

/** Pairs the units of two tensor lists (see the module comment for the rules). */
export function pairUnits(
  modelTensors: readonly SourceTensor[],
  baseTensors: readonly SourceTensor[],
  options: AnalysisOptions = {},
): PairingEntry[] {
  const modelUnits = layerUnits(modelTensors, options);
  const baseUnits = layerUnits(baseTensors, options);
  const baseByExact = new Map<string, LayerUnit>();
  for (const u of baseUnits) baseByExact.set(u.key, u);
  const used = new Set<LayerUnit>();
  const matched = new Map<LayerUnit, LayerUnit>();

  for (const u of modelUnits) {
    const b = baseByExact.get(u.key);
    if (b && !used.has(b)) {
      matched.set(u, b);
      used.add(b);
    }
  }
  // Normalised names, only where unique on both sides among the units still unpaired.
  const group = (units: LayerUnit[]) => {
    const m = new Map<string, LayerUnit[]>();
    for (const u of units) {
      const k = slotKey(normaliseTensorName(u.tensor.name), u);
      m.set(k, [...(m.get(k) ?? []), u]);
    }
    return m;
  };
  const modelRest = group(modelUnits.filter((u) => !matched.has(u)));
  const baseRest = group(baseUnits.filter((u) => !used.has(u)));
  for (const [k, ms] of modelRest) {
    const bs = baseRest.get(k);
    if (ms.length === 1 && bs && bs.length === 1) {
      matched.set(ms[0], bs[0]);
      used.add(bs[0]);
    }
  }

  const out: PairingEntry[] = [];
  for (const u of modelUnits) {
    const b = matched.get(u);
    out.push(b ? pairOrMismatch(u, b) : { kind: 'unmatched', side: 'model', unit: u, other: null, reason: 'only in the fine-tune (no tensor of this name in the base)' });
  }
  for (const b of baseUnits) {
    if (!used.has(b)) out.push({ kind: 'unmatched', side: 'base', unit: b, other: null, reason: 'only in the base (no tensor of this name in the fine-tune)' });
  }
  return out;
}
