import { describe, expect, it } from 'vitest';
import { alignLayers, type AlignInputLayer } from './align-layers';

const layer = (name: string, role: string, block: number | null, blocks: number, alpha: number, status = 'success'): AlignInputLayer => ({
  name, role, status, alpha, block_index: block, relative_depth: block == null ? null : blocks > 1 ? block / (blocks - 1) : 0,
});

function llama(blocks: number, alpha: (b: number, role: string) => number): AlignInputLayer[] {
  const out = [layer('embed', 'embedding', null, blocks, 4)];
  for (let b = 0; b < blocks; b++) for (const r of ['q', 'k', 'v', 'o', 'gate', 'up', 'down']) out.push(layer(`l${b}.${r}`, r, b, blocks, alpha(b, r)));
  return out;
}

function falcon(blocks: number, alpha: (b: number, role: string) => number): AlignInputLayer[] {
  const out: AlignInputLayer[] = [];
  for (let b = 0; b < blocks; b++) for (const r of ['qkv', 'o', 'up', 'down']) out.push(layer(`h${b}.${r}`, r, b, blocks, alpha(b, r)));
  return out;
}

describe('alignLayers', () => {
  it('pairs identical families role by role and block by block', () => {
    const rows = alignLayers(llama(4, () => 3), llama(4, (b) => 3 + b));
    const q = rows.filter((r) => r.slot === 'q');
    expect(q.map((r) => [r.a!.block, r.b!.block, r.delta])).toEqual([[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3]]);
    expect(rows.find((r) => r.slot === 'embedding')!.delta).toBe(0);
  });

  it('averages q/k/v per block against a fused qkv, with the deeper model driving by nearest relative depth', () => {
    const a = llama(8, (_b, r) => ({ q: 2, k: 3, v: 4 } as Record<string, number>)[r] ?? 5);
    const b = falcon(3, (blk) => 10 + blk);
    const attn = alignLayers(a, b).filter((r) => r.slot === 'attn_in');
    expect(attn).toHaveLength(8);
    expect(attn.every((r) => r.a!.alpha === 3 && r.a!.names.length === 3)).toBe(true);
    // depths 0, 1/7, ..., 1 against 0, 0.5, 1
    expect(attn.map((r) => r.b!.block)).toEqual([0, 0, 1, 1, 1, 1, 2, 2]);
    expect(attn[7].delta).toBe(12 - 3);
  });

  it('leaves failed fits out and keeps one-sided slots', () => {
    const a = llama(2, () => 3);
    a[1].status = 'failed';
    const rows = alignLayers(a, falcon(2, () => 4));
    const gate = rows.filter((r) => r.slot === 'mlp_in');
    expect(gate.length).toBe(2);
    expect(gate.every((r) => r.b === null && r.delta === null)).toBe(true);
    const attn0 = rows.find((r) => r.slot === 'attn_in' && r.a?.block === 0)!;
    expect(attn0.a!.names).toHaveLength(2); // q of block 0 failed
  });
});

describe('alignLayers with mixture-of-experts models', () => {
  const moeLayer = (tensor: string, role: string, block: number, blocks: number, alpha: number, expert: number | null = null): AlignInputLayer => ({
    ...layer(tensor.replace(/\.weight$/, ''), role, block, blocks, alpha), tensor, expert,
  });

  /** Mixtral-style: attention, router, experts' w1 (gate) / w2 (down) / w3 (up); expert e of block b has alpha base + e. */
  function mixtral(blocks: number, experts: number, base: (b: number, w: string) => number): AlignInputLayer[] {
    const out: AlignInputLayer[] = [];
    for (let b = 0; b < blocks; b++) {
      for (const r of ['q', 'k', 'v', 'o']) out.push(moeLayer(`model.layers.${b}.self_attn.${r}_proj.weight`, r, b, blocks, 3));
      out.push(moeLayer(`model.layers.${b}.block_sparse_moe.gate.weight`, 'router', b, blocks, 7));
      for (let e = 0; e < experts; e++) {
        for (const w of ['w1', 'w2', 'w3']) out.push(moeLayer(`model.layers.${b}.block_sparse_moe.experts.${e}.${w}.weight`, 'expert', b, blocks, base(b, w) + e, e));
      }
    }
    return out;
  }

  it("aligns a dense MLP role with the same projection's per-block median over experts; the router stays one-sided", () => {
    const dense = llama(2, (b) => 2 + b);
    const moe = mixtral(2, 5, (b, w) => ({ w1: 2, w2: 4, w3: 3 } as Record<string, number>)[w] + 10 * b);
    const rows = alignLayers(dense, moe);
    const up = rows.filter((r) => r.slot === 'up');
    expect(up).toHaveLength(2);
    // Median of 3+0..3+4 = 5 (block 0), 13+0..13+4 = 15 (block 1).
    expect(up.map((r) => [r.a!.names, r.b!.alpha, r.b!.experts, r.b!.names.length])).toEqual([[['l0.up'], 5, 5, 5], [['l1.up'], 15, 5, 5]]);
    expect(up[0].b!.names[0]).toBe('model.layers.0.block_sparse_moe.experts.0.w3');
    expect(rows.find((r) => r.slot === 'gate' && r.b?.block === 0)!.b!.alpha).toBe(4);
    expect(rows.find((r) => r.slot === 'down' && r.b?.block === 1)!.b!.alpha).toBe(16);
    const router = rows.filter((r) => r.slot === 'router');
    expect(router).toHaveLength(2);
    expect(router.every((r) => r.a === null && r.b !== null && r.delta === null)).toBe(true);
    expect(rows.some((r) => r.slot === 'other' || r.slot === 'expert')).toBe(false);
  });

  it('two MoE models compare median with median; a shared expert pairs with the dense model\'s matrix of its projection', () => {
    const a = mixtral(2, 4, () => 3);
    const b = mixtral(2, 8, () => 2);
    const up = alignLayers(a, b).filter((r) => r.slot === 'up');
    expect(up.map((r) => [r.a!.alpha, r.b!.alpha, r.delta])).toEqual([[4.5, 5.5, 1], [4.5, 5.5, 1]]);

    const shared = [...mixtral(2, 4, () => 3), moeLayer('model.layers.0.mlp.shared_expert.up_proj.weight', 'shared_expert', 0, 2, 6), moeLayer('model.layers.1.mlp.shared_expert.up_proj.weight', 'shared_expert', 1, 2, 7)];
    const rows = alignLayers(llama(2, () => 4), shared);
    const su = rows.filter((r) => r.slot === 'shared_expert.up');
    expect(su.map((r) => [r.a!.names, r.b!.alpha, r.group])).toEqual([[['l0.up'], 6, 'mlp_in'], [['l1.up'], 7, 'mlp_in']]);
    // The routed experts' median still has its own row against the same dense matrix.
    expect(rows.filter((r) => r.slot === 'up').map((r) => r.b!.experts)).toEqual([4, 4]);
  });
});
