/**
 * The per-layer numbers a model page's charts and ESD viewer need, as columns (one array per field) rather than one
 * object per layer: a third of the bytes to serialise, send and hydrate for a 300-layer model, and one object shared
 * by every chart. Plain module (no server-only): the client components decode it.
 */

/**
 * Layer table lines a model page sends and renders before "Show all" (an MoE block's experts of one projection count
 * as one line): keeps the server render small; the rest comes from the layers API on demand.
 */
export const INITIAL_TABLE_LINES = 20;

export interface LayerColumns {
  /** Every layer that was not skipped, in checkpoint order. */
  ordinal: number[];
  name: string[];
  role: string[];
  /** Rounded to 5 significant digits (null when the fit failed or there is none). */
  alpha: (number | null)[];
  /** 1 when the layer was fitted (status success, alpha > 0): a chart point. */
  fitted: (0 | 1)[];
  relative_depth: (number | null)[];
  block_index: (number | null)[];
  D: (number | null)[];
  xmin: (number | null)[];
  detX_val: (number | null)[];
}

/** One fitted layer as a chart point. */
export interface ChartLayer {
  name: string;
  ordinal: number;
  role: string;
  relative_depth: number | null;
  block_index: number | null;
  alpha: number;
  D: number | null;
  xmin: number | null;
  detX_val: number | null;
}

/** The fitted layers (chart points), without the ordinals in `exclude` (layers drawn as part of an expert band). */
export function chartLayersOf(c: LayerColumns, exclude?: ReadonlySet<number>): ChartLayer[] {
  const out: ChartLayer[] = [];
  for (let i = 0; i < c.ordinal.length; i++) {
    if (!c.fitted[i] || exclude?.has(c.ordinal[i])) continue;
    out.push({
      name: c.name[i], ordinal: c.ordinal[i], role: c.role[i], relative_depth: c.relative_depth[i], block_index: c.block_index[i],
      alpha: c.alpha[i]!, D: c.D[i], xmin: c.xmin[i], detX_val: c.detX_val[i],
    });
  }
  return out;
}

/** The ESD viewer's layer list: every layer that was not skipped. */
export function esdOptionsOf(c: LayerColumns): { ordinal: number; name: string; role: string; alpha: number | null }[] {
  return c.ordinal.map((ordinal, i) => ({ ordinal, name: c.name[i], role: c.role[i], alpha: c.alpha[i] }));
}
