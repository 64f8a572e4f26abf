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
  /** OPT stored only as sharded pytorch_model-*.bin (PyTorch zip). */
  bin: 'demo/opt-mini-bin',
  /** GPT-J stored only as a legacy-format pytorch_model.bin. */
  legacy: 'demo/gptj-mini-legacy',
  /** Pickle-only main commit with the conversion bot's safetensors PR refs/pr/1. */
  pr: 'demo/neox-mini-pickle-pr',
  /** Mixtral-style MoE: 2 blocks, 4 experts of w1/w2/w3 each, a router per block. */
  moe: 'demo/mixtral-mini-moe',
  /** Llama-4-style MoE: 3-D expert stacks analysed one row per expert. */
  moe3d: 'demo/llama4-mini-moe',
  /** Byte-identical re-upload of demo/llama-mini-trained. */
  mirror: 'demo/llama-mini-trained-mirror',
  /** Full fine-tune of demo/llama-mini-trained whose block weights move by a planted rank-8 ΔW (DEMO_PLANTED.delta). */
  ftPlanted: 'demo/llama-mini-ft-planted',
  /** Fine-tune of demo/llama-mini-trained with attention, embeddings and lm_head frozen (byte-identical). */
  ftFrozen: 'demo/llama-mini-ft-frozen',
  /** Fine-tune with 8 added tokens (embed_tokens / lm_head 2048 → 2056 rows) and a classification head score.weight. */
  ftCls: 'demo/llama-mini-ft-cls',
} as const;

/**
 * The PEFT LoRA adapter repo the stand-in Hub serves (adapter_config.json + adapter_model.safetensors). The seed runs
 * its adapter analysis; not in DEMO because the leaderboard's default view ranks full models only (type=adapter or
 * base=demo/llama-mini-trained lists it).
 */
export const DEMO_ADAPTER = 'demo/llama-mini-lora';

/** Every model on the seeded board. */
export const DEMO_MODEL_COUNT = Object.keys(DEMO).length;
