import { describe, expect, it } from 'vitest';
import { describeCheckpointFormat, expertBands, identicalTo, median, summarizeByRole } from './layer-aggregates';

const row = (role: string, alpha: number | null, status = 'success') => ({ role, alpha, status });

describe('summarizeByRole', () => {
  it('aggregates alpha per role over analysed rows only, roles in order of appearance', () => {
    const rows = [
      row('q', 3), row('expert', 2), row('expert', 4), row('expert', 9), row('q', 5),
      row('expert', -1, 'failed'), row('router', null, 'skipped'), row('k', 0),
    ];
    const s = summarizeByRole(rows);
    expect(Object.keys(s)).toEqual(['q', 'expert']);
    expect(s.q).toEqual({ layers: 2, alpha_mean: 4, alpha_median: 4, alpha_min: 3, alpha_max: 5 });
    expect(s.expert).toEqual({ layers: 3, alpha_mean: 5, alpha_median: 4, alpha_min: 2, alpha_max: 9 });
  });

  it('keeps experts from drowning attention: the per-role means differ from the plain mean over all rows', () => {
    const rows = [row('q', 3), ...Array.from({ length: 64 }, () => row('expert', 6))];
    const s = summarizeByRole(rows);
    const plain = rows.reduce((t, r) => t + r.alpha!, 0) / rows.length;
    expect(plain).toBeGreaterThan(5.9);
    expect(s.q.alpha_mean).toBe(3);
    expect(s.expert.layers).toBe(64);
  });

  it('median of even and odd lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('identicalTo', () => {
  const r = (reused_from: string | null, status = 'success') => ({ status, reused_from });

  it('names the one model every analysed row was reused from', () => {
    expect(identicalTo([r('org/base model.layers.0.q_proj.weight'), r('org/base lm_head.weight', 'failed'), r(null, 'skipped')])).toBe('org/base');
  });

  it('is null when any analysed row was computed here, rows came from two models, nothing was analysed, or the source is the model itself', () => {
    expect(identicalTo([r('org/base a.weight'), r(null)])).toBeNull();
    expect(identicalTo([r('org/base a.weight'), r('org/other b.weight')])).toBeNull();
    expect(identicalTo([r(null, 'skipped')])).toBeNull();
    expect(identicalTo([])).toBeNull();
    expect(identicalTo([r('me/model a.weight')], 'me/model')).toBeNull();
  });
});

describe('expertBands', () => {
  it('groups routed experts per block and projection with min / median / max alpha; dense, shared and router rows stay out', () => {
    let ordinal = 0;
    const rows = [
      { tensor: 'model.layers.0.self_attn.q_proj.weight', role: 'q', expert: null, alpha: 3 },
      { tensor: 'model.layers.0.block_sparse_moe.gate.weight', role: 'router', expert: null, alpha: 5 },
      ...[0, 1, 2, 3].flatMap((e) => [
        { tensor: `model.layers.0.block_sparse_moe.experts.${e}.w1.weight`, role: 'expert', expert: e, alpha: 2 + e },
        { tensor: `model.layers.0.block_sparse_moe.experts.${e}.w3.weight`, role: 'expert', expert: e, alpha: e === 3 ? -1 : 4 },
      ]),
      // A 3-D stack: rows share one tensor, names carry [e].
      ...[0, 1, 2].map((e) => ({ tensor: 'model.layers.1.feed_forward.experts.down_proj', role: 'expert', expert: e, alpha: 3 + e })),
      { tensor: 'model.layers.1.mlp.shared_expert.up_proj.weight', role: 'shared_expert', expert: null, alpha: 3 },
    ].map((r) => ({
      ...r, ordinal: ordinal++, name: r.tensor, block_index: Number(/layers\.(\d+)/.exec(r.tensor)![1]),
      status: r.alpha > 0 ? 'success' : 'failed',
    }));
    const bands = expertBands(rows);
    expect(bands.map((b) => [b.block_index, b.expert_role, b.rows.length, b.analysed])).toEqual([[0, 'gate', 4, 4], [0, 'up', 4, 3], [1, 'down', 3, 3]]);
    expect(bands[0]).toMatchObject({ alpha_min: 2, alpha_median: 3.5, alpha_max: 5 });
    expect(bands[2]).toMatchObject({ alpha_min: 3, alpha_median: 4, alpha_max: 5 });
  });
});

describe('describeCheckpointFormat', () => {
  it('names formats and the conversion PR', () => {
    expect(describeCheckpointFormat('pytorch-zip', null)).toBe('PyTorch pickle (zip)');
    expect(describeCheckpointFormat('pytorch-legacy', null)).toBe('PyTorch pickle (legacy)');
    expect(describeCheckpointFormat('safetensors', 'refs/pr/1')).toBe('safetensors from conversion PR refs/pr/1');
  });
});
