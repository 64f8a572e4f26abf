/** Layer selection rules and the model summary (get_summary means + extras) on hand-built inputs. */
import { describe, expect, it } from 'vitest';
import type { LayerResult } from '@/lib/types';
import { layerName, layerSkipReason } from './select';
import { median, pandasMean, summarize } from './summary';

describe('layerSkipReason', () => {
  const t = (key: string, shape: number[], dtype = 'BF16') => layerSkipReason({ key, shape, dtype });
  it('follows WeightWatcher order: key, rank, size filters', () => {
    expect(t('a.bias', [64, 64])).toBe("key does not end in '.weight'");
    expect(t('a.weight_scale_inv', [4, 4])).toBe("key does not end in '.weight'");
    expect(t('norm.weight', [4096])).toBe('not 2-D: PyStateDict layer type UNKNOWN');
    expect(t('conv.weight', [64, 3, 3, 3])).toMatch(/Conv2D/);
    expect(t('a.weight', [9, 100])).toBe('min(N,M)=9 < min_evals=10');
    expect(t('a.weight', [10, 100])).toBeNull();
    expect(t('a.weight', [15001, 16000])).toBe('min(N,M)=15001 > max_evals=15000');
    expect(t('lm_head.weight', [128256, 4096])).toBe('max(N,M)=128256 > max_N=50000');
    expect(t('a.weight', [50000, 64])).toBeNull();
    expect(t('a.weight', [64, 64], 'I8')).toMatch(/dtype I8 cannot be analysed/);
    expect(t('a.weight', [64, 64], 'F8_E4M3')).toBeNull();
  });
  it('honours custom filters and names layers without .weight', () => {
    expect(layerSkipReason({ key: 'a.weight', shape: [20, 30], dtype: 'F32' }, { minEvals: 25 })).toMatch(/min_evals=25/);
    expect(layerName('model.layers.0.mlp.up_proj.weight')).toBe('model.layers.0.mlp.up_proj');
  });
});

describe('summarize', () => {
  const layer = (over: Partial<LayerResult>): LayerResult => ({
    tensor: 'x.weight', name: 'x', status: 'success', shape: [10, 10], dtype: 'F32',
    log_norm: 1, alpha: 3, alpha_weighted: 1, log_alpha_norm: 1, log_spectral_norm: 0.5, stable_rank: 4, D: 0.1, ...over,
  });
  it('averages analysed layers including failed-fit sentinels, skipping NaN and skipped tensors', () => {
    const s = summarize([
      layer({ alpha: 2 }),
      layer({ alpha: 5, D: 0.3 }),
      layer({ status: 'failed', alpha: -1, D: -1 }),
      layer({ status: 'skipped', alpha: 100 }),
      layer({ alpha: 8, stable_rank: NaN }),
    ]);
    expect(s.layers_analyzed).toBe(4);
    expect(s.alpha).toBeCloseTo((2 + 5 - 1 + 8) / 4, 14);
    expect(s.stable_rank).toBe(4);
    expect(s.median_alpha).toBe(5);
    expect(s.mean_D).toBeCloseTo((0.1 + 0.3 + 0.1) / 3, 14);
    expect(s.share_alpha_lt_2).toBe(0);
    expect(s.share_alpha_gt_6).toBeCloseTo(1 / 3, 14);
    expect(s.correlation_traps).toBeNull();
    expect(s.mp_softrank).toBeUndefined();
  });
  it('adds mp_softrank and correlation traps when those options ran', () => {
    const s = summarize([layer({ mp_softrank: 0.5, rand_num_spikes: 2 }), layer({ mp_softrank: 0.7, rand_num_spikes: 0 })]);
    expect(s.mp_softrank).toBeCloseTo(0.6, 14);
    expect(s.correlation_traps).toBe(1);
  });
  it('pandas semantics for empty and infinite input', () => {
    expect(pandasMean([])).toBeNaN();
    expect(pandasMean([1, null, NaN, 3])).toBe(2);
    expect(pandasMean([1, Infinity])).toBe(Infinity);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(summarize([]).alpha).toBeNaN();
  });
});
