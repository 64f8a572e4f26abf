import { describe, expect, it } from 'vitest';
import { decodeNames, encodeNames } from './layer-columns';

describe('layer names as templates and numbers', () => {
  it('round-trips real names, leading zeros, names without digits and names with #', () => {
    const names = [
      'model.embed_tokens', 'model.layers.0.self_attn.q_proj', 'model.layers.17.block_sparse_moe.experts.39.w3',
      'model.layers.17.block_sparse_moe.experts.4.w3', 'blocks.007.attn', 'odd#name.3', 'lm_head', 'h.12345678901234567890.mlp',
    ];
    const e = encodeNames(names);
    expect(decodeNames(e)).toEqual(names);
    expect(e.templates).toContain('model.layers.#.block_sparse_moe.experts.#.w#');
    expect(e.parts[7]).toEqual(['12345678901234567890']);
    expect(e.parts[4]).toEqual(['007']);
  });

  it('shares one template among the layers of every block', () => {
    const names = Array.from({ length: 32 }, (_, b) => [`model.layers.${b}.mlp.down_proj`, `model.layers.${b}.mlp.up_proj`]).flat();
    const e = encodeNames(names);
    expect(e.templates).toHaveLength(2);
    expect(JSON.stringify(e).length).toBeLessThan(JSON.stringify(names).length / 3);
    expect(decodeNames(e)).toEqual(names);
  });
});
