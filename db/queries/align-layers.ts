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
 * 4. Mixture of experts. Routed experts enter as one value per block and projection: the MEDIAN alpha over the
 *    block's experts of the same expertRole (gate / up / down / gate_up, from the tensor name: Mixtral w1 / w3 / w2).
 *    That value takes the expertRole as its role, so a dense MLP matrix is aligned with the other model's per-block
 *    expert median (Llama `mlp.up_proj` vs the median of Mixtral's `experts.*.w3` of the matching block; two MoE
 *    models compare median with median; DeepSeek's dense first blocks and its expert blocks share the role).
 *    Shared experts enter likewise as slot `shared_expert.<expertRole>` (median over the block's shared-expert
 *    matrices of that projection), compared with the other model's shared expert, else with its DENSE matrices of
 *    that role. Routers, vision towers, norms, experts of unknown projection and other roles of group `other` are
 *    compared as themselves only: a router has no counterpart in a dense model (one-sided rows).
 * Only successful fits take part (failed fits carry alpha = -1 and would distort means). A slot present in one
 * model only yields rows with one side.
 * Pure and synchronous: no database, so it is unit-tested directly.
 */

import { expertRoleOf, median } from './layer-aggregates';

/** The rule above in one sentence (API responses and the compare page). */
export const ALIGNMENT_RULE =
  'Roles are compared as themselves when both models have them (q vs q), else by group (q/k/v averaged per block vs fused qkv; gate/up vs up); ' +
  'blocks sit at relative depth block/(blocks-1); the model with more blocks drives and each of its blocks is paired with the nearest-depth block of the other. ' +
  "MoE: routed experts count as one value per block and projection, the median alpha over the block's experts, aligned with the dense MLP role of that projection " +
  '(Llama up_proj vs the median of Mixtral experts\' w3); shared experts likewise (slot shared_expert.<projection>); routers have no dense counterpart.';

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
  if (role.startsWith(SHARED_PREFIX)) return ROLE_GROUP[role.slice(SHARED_PREFIX.length)] ?? 'other';
  return ROLE_GROUP[role] ?? 'other';
}

const SHARED_PREFIX = 'shared_expert.';

export interface AlignInputLayer {
  name: string;
  role: string;
  status: string;
  alpha: number | null;
  block_index: number | null;
  relative_depth: number | null;
  /** Full tensor key: gives an expert's projection (expertRole). Needed for MoE rows only. */
  tensor?: string;
  /** 0-based MoE expert, null on dense rows. */
  expert?: number | null;
}

export interface SlotSide {
  block: number | null;
  depth: number | null;
  alpha: number;
  /** Layers averaged into this value (for an expert median: every expert's layer). */
  names: string[];
  /** Set when the value is the median over this many experts of one block and projection. */
  experts?: number;
}

/** One layer as the alignment sees it: a real layer, or the per-block median of experts standing in for one. */
interface Prepared extends AlignInputLayer {
  members?: string[];
  experts?: number;
  /** A dense (non-expert) matrix: the counterpart of another model's shared expert. */
  dense: boolean;
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

/**
 * Step 4: routed experts → per (block, expertRole) median with the expertRole as role; shared experts → per
 * (block, expertRole) median with role `shared_expert.<expertRole>`; everything else as it is.
 */
function prepare(list: readonly AlignInputLayer[]): Prepared[] {
  const out: Prepared[] = [];
  const groups = new Map<string, { first: AlignInputLayer; role: string; alphas: number[]; names: string[]; experts: Set<number | string> }>();
  for (const l of list) {
    if (l.role !== 'expert' && l.role !== 'shared_expert') {
      out.push({ ...l, dense: true });
      continue;
    }
    const er = l.tensor ? expertRoleOf(l.tensor) : null;
    const role = l.role === 'expert' ? (er ?? 'expert') : er ? `${SHARED_PREFIX}${er}` : 'shared_expert';
    const key = `${l.block_index ?? l.name}|${role}`;
    const g = groups.get(key) ?? { first: l, role, alphas: [], names: [], experts: new Set() };
    g.alphas.push(l.alpha!);
    g.names.push(l.name);
    g.experts.add(l.expert ?? l.name);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    const n = g.alphas.length;
    out.push({
      ...g.first,
      name: n === 1 ? g.first.name : `block ${g.first.block_index} ${g.role} median of ${g.experts.size} experts`,
      role: g.role,
      alpha: n === 1 ? g.alphas[0] : median(g.alphas),
      members: g.names,
      experts: g.first.role === 'expert' ? g.experts.size : undefined,
      dense: false,
    });
  }
  return out;
}

/** A shared-expert slot of one model with no shared expert in the other: the other's dense matrices of that role. */
function sharedCounterparts(own: readonly Prepared[], other: readonly Prepared[]): Prepared[] {
  const otherRoles = new Set(other.map((l) => l.role));
  const wanted = new Set(own.filter((l) => l.role.startsWith(SHARED_PREFIX) && !otherRoles.has(l.role)).map((l) => l.role));
  return [...wanted].flatMap((role) =>
    other.filter((l) => l.dense && l.role === role.slice(SHARED_PREFIX.length)).map((l) => ({ ...l, role, dense: false })),
  );
}

/** Per slot: block key → averaged side. */
function collapse(list: readonly Prepared[], slotOf: (role: string) => string): Map<string, Map<string, SlotSide>> {
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
    acc.side.names.push(...(l.members ?? [l.name]));
    if (l.experts != null) acc.side.experts = (acc.side.experts ?? 0) + l.experts;
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
  const pa = prepare(usable(aLayers));
  const pb = prepare(usable(bLayers));
  const a = [...pa, ...sharedCounterparts(pb, pa)];
  const b = [...pb, ...sharedCounterparts(pa, pb)];
  const rolesA = new Set(a.map((l) => l.role));
  const rolesB = new Set(b.map((l) => l.role));
  const asItself = (role: string) => role.startsWith('shared_expert') || roleGroup(role) === 'other';
  const slotOf = (role: string) => (asItself(role) || (rolesA.has(role) && rolesB.has(role)) ? role : roleGroup(role));
  const slotsA = collapse(a, slotOf);
  const slotsB = collapse(b, slotOf);
  const rows: AlignedRow[] = [];
  for (const slot of new Set([...slotsA.keys(), ...slotsB.keys()])) {
    const sideA = [...(slotsA.get(slot)?.values() ?? [])].sort((x, y) => (x.depth ?? -1) - (y.depth ?? -1));
    const sideB = [...(slotsB.get(slot)?.values() ?? [])].sort((x, y) => (x.depth ?? -1) - (y.depth ?? -1));
    const group = (slot in GROUP_LABEL && slot !== 'other' ? slot : roleGroup(slot)) as RoleGroup;
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
