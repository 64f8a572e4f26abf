import { DEMO, expect, test } from './fixtures';
import { expectChartDrawn } from './pages/charts';

/**
 * The model page for demo checkpoints the seed analysed through the real pipeline: weights read from PyTorch .bin
 * files (zip and legacy), from the conversion bot's safetensors PR, mixtures of experts in both layouts, and a
 * byte-identical mirror whose metrics were reused.
 */

test.describe('checkpoint formats, experts and mirrors on the model page', () => {
  test('a sharded pytorch_model-*.bin model names its format, files and commit', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.bin);
    await expect(modelPage.checkpointFormat).toHaveText('PyTorch pickle (zip)');
    await expect(modelPage.checkpoint).toContainText('pytorch_model-00001-of-00002.bin');
    await expect(modelPage.checkpoint).toContainText('2 files');
    await expect(modelPage.checkpoint.locator('code').last()).toHaveText(/^[0-9a-f]{7}$/);
    await expect(modelPage.identicalBanner).toHaveCount(0);
    await expect(page.getByTestId('layer-table')).toContainText('model.decoder.layers.0.fc1.weight');
  });

  test('a legacy-format .bin and a conversion-PR model say what was read', async ({ modelPage }) => {
    await modelPage.goto(DEMO.legacy);
    await expect(modelPage.checkpointFormat).toHaveText('PyTorch pickle (legacy)');
    await expect(modelPage.checkpoint).toContainText('pytorch_model.bin');
    await modelPage.goto(DEMO.pr);
    await expect(modelPage.checkpointFormat).toHaveText('safetensors from conversion PR refs/pr/1');
    await expect(modelPage.checkpoint).toContainText('model.safetensors');
  });

  test('an MoE model shows experts as bands: per-role table, min-max bars in the depth chart, expandable groups', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.moe);
    await expect(modelPage.checkpointFormat).toHaveText('safetensors');
    // Per-role aggregates: experts next to attention, not mixed into one mean.
    await expect(modelPage.roleSummary.locator('tbody td:first-child')).toHaveText(['embedding', 'q', 'k', 'v', 'o', 'expert', 'lm_head']);
    await expect(modelPage.roleSummary.locator('tbody tr').nth(5).locator('td').nth(1)).toHaveText('24');
    await expect(modelPage.roleSummary.locator('tbody tr').nth(1).locator('td').nth(1)).toHaveText('2');
    // Depth chart: one median point with a min-max bar per block and projection (2 blocks x w1/w2/w3).
    const chart = modelPage.chart('chart-alpha-depth');
    await expectChartDrawn(chart, 6);
    await expect(chart).toHaveAttribute('aria-label', /6 expert bands/);
    await expect.poll(() => chart.locator('.recharts-errorBar').count()).toBeGreaterThanOrEqual(6);
    // Layer table: 6 expandable expert lines, each listing its 4 experts once opened.
    await expect(modelPage.expertGroups).toHaveCount(6);
    const first = modelPage.expertGroups.first();
    await expect(first.locator('summary')).toContainText(/4 experts · block 0 · gate/);
    await expect(first.getByTestId('expert-band')).toContainText(/α min \d\.\d{3} \/ median \d\.\d{3} \/ max \d\.\d{3}/);
    await expect(first.getByTestId('expert-row').first()).toBeHidden();
    await first.locator('summary').click();
    await expect(first.getByTestId('expert-row')).toHaveCount(4);
    await expect(first.getByTestId('expert-row').first()).toBeVisible();
    await expect(first.getByTestId('expert-row').nth(3)).toContainText('experts.3.w1');
    // The router (4 x 256) is below min_evals: listed as skipped, as WeightWatcher would.
    await expect(page.getByTestId('layer-table')).toContainText('block_sparse_moe.gate.weight');
  });

  test('3-D expert stacks: one row per expert slice', async ({ modelPage }) => {
    await modelPage.goto(DEMO.moe3d);
    await expect(modelPage.roleSummary.locator('tbody td:first-child')).toContainText(['expert', 'shared_expert']);
    const first = modelPage.expertGroups.first();
    await first.locator('summary').click();
    await expect(first.getByTestId('expert-row')).toHaveCount(4);
    await expect(first.getByTestId('expert-row').nth(2)).toContainText('experts.gate_up_proj[2]');
  });

  test('a mirror says which model its weights are identical to, and each layer where its metrics came from', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.mirror);
    await expect(modelPage.identicalBanner).toContainText(`Weights identical to ${DEMO.trained}: metrics reused, not recomputed`);
    const reused = modelPage.layerTable.getByTestId('reused-from');
    await expect(reused.first()).toContainText(`identical to ${DEMO.trained}`);
    await expect(modelPage.layerTable).toContainText(`identical to ${DEMO.trained} model.embed_tokens.weight`);
    await modelPage.identicalBanner.getByRole('link', { name: DEMO.trained }).click();
    await page.waitForURL(new RegExp(`/models/${DEMO.trained}$`));
    await expect(modelPage.identicalBanner).toHaveCount(0);
  });
});
