/** One-sentence explanations of each metric and which direction is better (tooltips, captions). */
export const METRIC_INFO: Record<string, { label: string; help: string }> = {
  layers: { label: 'Layers', help: 'Weight matrices analysed (2-D tensors passing WeightWatcher’s size filters); neither more nor fewer is better.' },
  alpha: { label: 'Mean α', help: 'Mean power-law exponent of the layers’ eigenvalue tails; 2–6 is well trained and lower within that range is better (<2 over-fit, >6 under-trained).' },
  median_alpha: { label: 'Median α', help: 'Median layer alpha, robust to a few outlier layers; lower within 2–6 is better.' },
  alpha_weighted: { label: 'α̂ (weighted)', help: 'Mean of alpha × log10 of the largest eigenvalue (WeightWatcher’s alpha-hat); lower is better within a model family.' },
  log_alpha_norm: { label: 'log α-norm', help: 'Mean log10 of the Schatten alpha-norm Σλ^α of each layer; lower is better.' },
  log_spectral_norm: { label: 'log spectral norm', help: 'Mean log10 of each layer’s largest eigenvalue of WᵀW; lower is better (less scale blow-up).' },
  log_norm: { label: 'log Frobenius norm', help: 'Mean log10 of each layer’s squared Frobenius norm; lower is better.' },
  stable_rank: { label: 'Stable rank', help: 'Mean Frobenius norm² over spectral norm²; a higher value means energy spread over more directions.' },
  mean_D: { label: 'Mean D', help: 'Mean Kolmogorov–Smirnov distance between each tail and its fitted power law; lower means a better fit and a more trustworthy alpha.' },
  share_alpha_lt_2: { label: 'α<2', help: 'Share of layers with alpha below 2 (possibly over-fit or over-regularised); lower is better.' },
  share_alpha_gt_6: { label: 'α>6', help: 'Share of layers with alpha above 6 (under-trained, random-like); lower is better.' },
  traps: { label: 'Traps', help: 'Layers whose randomised weights still show large spikes (correlation traps, needs the randomize option); fewer is better.' },
  params: { label: 'Params', help: 'Parameter count reported for the repo.' },
  D: { label: 'D', help: 'Kolmogorov–Smirnov distance of the power-law fit; lower is better.' },
};
