/**
 * Sanity on real trained layers: two small MNIST MLPs from the shared conformance folder (not copied into the
 * project; licence unknown). Skipped cleanly when ../shared is absent. The fits must succeed with α in the range
 * small trained networks show (these are briefly trained: α ≈ 5–13), and both eigen routes must agree.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openLocalCheckpoint } from '@/lib/safetensors';
import { analyzeMatrix } from './analyze-matrix';
import { layerSkipReason } from './select';
import { relErr } from './testing/conformance-cases';

const REAL_DIR = fileURLToPath(new URL('../../../shared/conformance/real/', import.meta.url));
const FILES = ['mnist_pytorch_mlp_784_512_10.safetensors', 'mnist_tinygrad_mlp.safetensors'];

describe.skipIf(!existsSync(REAL_DIR))('real trained MLPs (../shared/conformance/real)', () => {
  it.each(FILES)('%s: analysable layers fit with a plausible α', async (file) => {
    const ck = await openLocalCheckpoint(REAL_DIR + file);
    let analysed = 0;
    for (const entry of ck.tensors) {
      if (layerSkipReason({ key: entry.name, shape: entry.shape, dtype: entry.dtype })) continue;
      analysed++;
      const m = await ck.read(entry);
      const a = await analyzeMatrix(m.data, m.rows, m.cols, { subject: entry.name });
      const b = await analyzeMatrix(m.data, m.rows, m.cols, { route: 'gram' });
      expect(a.metrics.status, entry.name).toBe('success');
      expect(a.metrics.alpha, entry.name).toBeGreaterThan(1.2);
      expect(a.metrics.alpha, entry.name).toBeLessThan(20); // fc1 of the short-trained PyTorch MLP is ≈ 13
      expect(a.metrics.D, entry.name).toBeLessThan(0.5);
      expect(a.metrics.rank_loss).toBe(0);
      expect(relErr(b.metrics.alpha, a.metrics.alpha)).toBeLessThan(1e-6);
    }
    expect(analysed).toBeGreaterThan(0);
  });
});
