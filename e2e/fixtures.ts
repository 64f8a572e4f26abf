import { test as base, expect } from '@playwright/test';
import { ComparePage } from './pages/compare';
import { LeaderboardPage } from './pages/leaderboard';
import { ModelPage } from './pages/model';

/** Page objects as fixtures, and a full-page screenshot artifact at the end of every test. */
export const test = base.extend<{ leaderboard: LeaderboardPage; modelPage: ModelPage; comparePage: ComparePage }>({
  leaderboard: async ({ page }, use) => use(new LeaderboardPage(page)),
  modelPage: async ({ page }, use) => use(new ModelPage(page)),
  comparePage: async ({ page }, use) => use(new ComparePage(page)),
});

test.afterEach(async ({ page }, info) => {
  if (page.url().startsWith('http')) {
    await page.screenshot({ path: info.outputPath('final.png'), fullPage: true }).catch(() => {});
  }
});

export { expect };

/** The demo models the seed analyses (lib/hub-stand-in/demo-models.ts). */
export const DEMO = {
  trained: 'demo/llama-mini-trained',
  random: 'demo/llama-mini-random',
  chat: 'demo/llama-mini-chat',
  falcon: 'demo/falcon-mini',
  gpt2: 'demo/gpt2-mini',
  series: 'demo/pythia-mini',
} as const;

/** Fixture models the seed writes without analysing them (db/queries/testing/sample-data.ts seedCheckpointSamples). */
export const SAMPLES = {
  /** A pytorch_model.bin (PyTorch zip pickle) analysis. */
  bin: 'sample/opt-mini-bin',
  /** Mixtral-style MoE: 3 blocks, 4 experts of w1/w2/w3 each, a router per block. */
  moe: 'sample/mixtral-mini',
  /** Every layer reused from demo/llama-mini-trained. */
  mirror: 'sample/llama-mini-trained-mirror',
} as const;
