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
  /** Layer names, as templates with their numbers taken out (see {@link encodeNames}). */
  names: EncodedNames;
  /** Each layer's role, as an index into `roles`. */
  roleOf: number[];
  roles: string[];
  /** Rounded to 5 significant digits (null when the fit failed or there is none). */
  alpha: (number | null)[];
  /** 1 when the layer was fitted (status success, alpha > 0): a chart point. */
  fitted: (0 | 1)[];
  relative_depth: (number | null)[];
  block_index: (number | null)[];
  D: (number | null)[];
  xmin: (number | null)[];
  /** Null when no layer has a value (detX was not asked for). */
  detX_val: (number | null)[] | null;
}

/**
 * Names such as `model.layers.17.block_sparse_moe.experts.39.w3` as a template (`model.layers.#.block_sparse_moe.
 * experts.#.w3`, shared by hundreds of layers) and the numbers taken out of it: a fifth of the bytes of the names.
 */
export interface EncodedNames {
  templates: string[];
  /** Index into `templates`, per layer. */
  of: number[];
  /** The numbers of each layer's name, in order (kept as text when written with leading zeros). */
  parts: (number | string)[][];
}

export function encodeNames(names: readonly string[]): EncodedNames {
  const templates: string[] = [];
  const index = new Map<string, number>();
  const of: number[] = [];
  const parts: (number | string)[][] = [];
  for (const name of names) {
    // A '#' in a name would be read back as a number's place: such a name is its own template, with no numbers.
    const plain = name.includes('#');
    const template = plain ? name : name.replace(/\d+/g, '#');
    let t = index.get(template);
    if (t === undefined) index.set(template, (t = templates.push(template) - 1));
    of.push(t);
    parts.push(plain ? [] : (name.match(/\d+/g) ?? []).map((d) => (String(Number(d)) === d ? Number(d) : d)));
  }
  return { templates, of, parts };
}

export function decodeNames(e: EncodedNames): string[] {
  return e.of.map((t, i) => {
    const nums = e.parts[i];
    if (nums.length === 0) return e.templates[t];
    let k = 0;
    return e.templates[t].replace(/#/g, () => String(nums[k++]));
  });
}

const decoded = new WeakMap<EncodedNames, string[]>();

/** The layer names of `c` (decoded once per columns object). */
export function namesOf(c: LayerColumns): string[] {
  let names = decoded.get(c.names);
  if (!names) decoded.set(c.names, (names = decodeNames(c.names)));
  return names;
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
  const name = namesOf(c);
  for (let i = 0; i < c.ordinal.length; i++) {
    if (!c.fitted[i] || exclude?.has(c.ordinal[i])) continue;
    out.push({
      name: name[i], ordinal: c.ordinal[i], role: c.roles[c.roleOf[i]], relative_depth: c.relative_depth[i], block_index: c.block_index[i],
      alpha: c.alpha[i]!, D: c.D[i], xmin: c.xmin[i], detX_val: c.detX_val?.[i] ?? null,
    });
  }
  return out;
}

/** The ESD viewer's layer list: every layer that was not skipped. */
export function esdOptionsOf(c: LayerColumns): { ordinal: number; name: string; role: string; alpha: number | null }[] {
  const name = namesOf(c);
  return c.ordinal.map((ordinal, i) => ({ ordinal, name: name[i], role: c.roles[c.roleOf[i]], alpha: c.alpha[i] }));
}
