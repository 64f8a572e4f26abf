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
