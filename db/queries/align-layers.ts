/**
 * Aligning the layers of two models of different depth and family (the compare page).
 *
 * The rule, in three steps:
 * 1. Role groups. Every role falls in a group: attention input (q, k, v, fused qkv, and MLA's q_a/q_b/kv_a/kv_b),
 *    attention output (o), MLP input (gate, up, fused gate_up), MLP output (down), embedding, lm_head, other
 *    (norms, MoE experts / shared experts / routers, vision towers: their roles are compared as themselves only).
 * 2. Slots. A role is compared as itself when BOTH models have it (Llama q vs Mistral q); otherwise it is
 *    compared at the level of its group, with the alphas of the group's matrices in one block averaged
 *    (Llama's q, k and v of block 7 → one value, paired with Falcon's fused query_key_value of the matching block).
 * 3. Depth. Blocks are placed at relative depth block / (blocks - 1) in [0, 1]. Within a slot, the model with
 *    more blocks drives: each of its blocks is paired with the other model's block of nearest relative depth
 *    (ties: the shallower). Embedding sits at depth 0 and lm_head at 1; they pair with each other's.
 * Only successful fits take part (failed fits carry alpha = -1 and would distort means). A slot present in one
 * model only yields rows with one side.
 * Pure and synchronous: no database, so it is unit-tested directly.
 */

/** The rule above in one sentence (API responses and the compare page). */
export const ALIGNMENT_RULE =
  'Roles are compared as themselves when both models have them (q vs q), else by group (q/k/v averaged per block vs fused qkv; gate/up vs up); ' +
  'blocks sit at relative depth block/(blocks-1); the model with more blocks drives and each of its blocks is paired with the nearest-depth block of the other.';

export type RoleGroup = 'attn_in' | 'attn_out' | 'mlp_in' | 'mlp_out' | 'embedding' | 'lm_head' | 'other';

export const ROLE_GROUP: Record<string, RoleGroup> = {
  q: 'attn_in', k: 'attn_in', v: 'attn_in', qkv: 'attn_in',
  q_a: 'attn_in', q_b: 'attn_in', kv_a: 'attn_in', kv_b: 'attn_in',
  o: 'attn_out',
  gate: 'mlp_in', up: 'mlp_in', gate_up: 'mlp_in',
  down: 'mlp_out',
  embedding: 'embedding', lm_head: 'lm_head',
};

export const GROUP_LABEL: Record<RoleGroup, string> = {
  attn_in: 'attention in (q, k, v / fused qkv)',
  attn_out: 'attention out (o)',
  mlp_in: 'MLP in (gate, up)',
  mlp_out: 'MLP out (down)',
  embedding: 'embedding',
  lm_head: 'lm_head',
  other: 'other',
};

export function roleGroup(role: string): RoleGroup {
  return ROLE_GROUP[role] ?? 'other';
}

export interface AlignInputLayer {
  name: string;
  role: string;
  status: string;
  alpha: number | null;
  block_index: number | null;
  relative_depth: number | null;
}

export interface SlotSide {
  block: number | null;
  depth: number | null;
  alpha: number;
  /** Layers averaged into this value. */
  names: string[];
}

export interface AlignedRow {
  slot: string;
  group: RoleGroup;
  depth: number | null;
  a: SlotSide | null;
  b: SlotSide | null;
  /** b.alpha - a.alpha */
  delta: number | null;
}

function depthOf(l: AlignInputLayer, maxBlock: number): number | null {
  if (l.relative_depth != null) return l.relative_depth;
  if (l.block_index != null) return maxBlock > 0 ? l.block_index / maxBlock : 0;
  if (l.role === 'embedding') return 0;
  if (l.role === 'lm_head') return 1;
  return null;
}

function usable(list: readonly AlignInputLayer[]) {
  return list.filter((l) => l.status === 'success' && l.alpha != null && Number.isFinite(l.alpha) && l.alpha > 0);
}

/** Per slot: block key → averaged side. */
function collapse(list: readonly AlignInputLayer[], slotOf: (role: string) => string): Map<string, Map<string, SlotSide>> {
  const maxBlock = Math.max(0, ...list.map((l) => l.block_index ?? 0));
  const sums = new Map<string, Map<string, { side: SlotSide; sum: number; n: number }>>();
  for (const l of list) {
    const slot = slotOf(l.role);
    const key = l.block_index != null ? `b${l.block_index}` : l.name;
    const bySlot = sums.get(slot) ?? new Map();
    sums.set(slot, bySlot);
    const acc = bySlot.get(key) ?? { side: { block: l.block_index, depth: depthOf(l, maxBlock), alpha: 0, names: [] }, sum: 0, n: 0 };
    acc.sum += l.alpha!;
    acc.n += 1;
    acc.side.names.push(l.name);
    bySlot.set(key, acc);
  }
  const out = new Map<string, Map<string, SlotSide>>();
  for (const [slot, bySlot] of sums) {
    out.set(slot, new Map([...bySlot].map(([k, v]) => [k, { ...v.side, alpha: v.sum / v.n }])));
  }
  return out;
}

function nearest(target: number | null, options: SlotSide[]): SlotSide | null {
  if (options.length === 0) return null;
  if (target == null) return options.find((o) => o.depth == null) ?? options[0];
  let best: SlotSide | null = null;
  let bestGap = Infinity;
  for (const o of options) {
    if (o.depth == null) continue;
    const gap = Math.abs(o.depth - target);
    if (gap < bestGap - 1e-12) {
      best = o;
      bestGap = gap;
    }
  }
  return best;
}

export function alignLayers(aLayers: readonly AlignInputLayer[], bLayers: readonly AlignInputLayer[]): AlignedRow[] {
  const a = usable(aLayers);
  const b = usable(bLayers);
  const rolesA = new Set(a.map((l) => l.role));
  const rolesB = new Set(b.map((l) => l.role));
  const slotOf = (role: string) => (rolesA.has(role) && rolesB.has(role) ? role : roleGroup(role));
  const slotsA = collapse(a, slotOf);
  const slotsB = collapse(b, slotOf);
  const rows: AlignedRow[] = [];
  for (const slot of new Set([...slotsA.keys(), ...slotsB.keys()])) {
    const sideA = [...(slotsA.get(slot)?.values() ?? [])].sort((x, y) => (x.depth ?? -1) - (y.depth ?? -1));
    const sideB = [...(slotsB.get(slot)?.values() ?? [])].sort((x, y) => (x.depth ?? -1) - (y.depth ?? -1));
    const group = (slot in GROUP_LABEL ? slot : roleGroup(slot)) as RoleGroup;
    const aDrives = sideA.length >= sideB.length;
    for (const driver of aDrives ? sideA : sideB) {
      const other = nearest(driver.depth, aDrives ? sideB : sideA);
      const pa = aDrives ? driver : other;
      const pb = aDrives ? other : driver;
      rows.push({ slot, group, depth: driver.depth, a: pa, b: pb, delta: pa && pb ? pb.alpha - pa.alpha : null });
    }
  }
  const order: RoleGroup[] = ['embedding', 'attn_in', 'attn_out', 'mlp_in', 'mlp_out', 'other', 'lm_head'];
  return rows.sort((x, y) => order.indexOf(x.group) - order.indexOf(y.group) || x.slot.localeCompare(y.slot) || (x.depth ?? -1) - (y.depth ?? -1));
}
