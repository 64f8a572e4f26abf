import { DEMO, SAMPLES, expect, test } from './fixtures';
import { expectChartDrawn } from './pages/charts';

/** The model page for weights read from a .bin, for a mixture of experts, and for a mirror of another model. */

test.describe('checkpoint formats, experts and mirrors on the model page', () => {
  test('a pytorch_model.bin model names its format, file and commit', async ({ modelPage, page }) => {
    await modelPage.goto(SAMPLES.bin);
    await expect(modelPage.checkpointFormat).toHaveText('PyTorch pickle (zip)');
    await expect(modelPage.checkpoint).toContainText('pytorch_model.bin');
    await expect(modelPage.checkpoint).toContainText('1 file');
    await expect(modelPage.checkpoint.locator('code').last()).toHaveText(/^[0-9a-f]{7}$/);
    await expect(modelPage.identicalBanner).toHaveCount(0);
    await expect(page.getByTestId('layer-table')).toContainText('model.decoder.layers.0.fc1.weight');
  });

  test('an MoE model shows experts as bands: per-role table, min-max bars in the depth chart, expandable groups', async ({ modelPage, page }) => {
    await modelPage.goto(SAMPLES.moe);
    await expect(modelPage.checkpointFormat).toHaveText('safetensors');
    await expect(modelPage.checkpoint).toContainText('3 files');
    // Per-role aggregates: experts next to attention, not mixed into one mean.
    await expect(modelPage.roleSummary.locator('tbody td:first-child')).toHaveText(['embedding', 'q', 'k', 'v', 'o', 'router', 'expert', 'lm_head']);
    await expect(modelPage.roleSummary.locator('tbody tr').nth(6).locator('td').nth(1)).toHaveText('36');
    await expect(modelPage.roleSummary.locator('tbody tr').nth(1).locator('td').nth(1)).toHaveText('3');
    // Depth chart: one median point with a min-max bar per block and projection (3 blocks x w1/w2/w3).
    const chart = modelPage.chart('chart-alpha-depth');
    await expectChartDrawn(chart, 9);
    await expect(chart).toHaveAttribute('aria-label', /9 expert bands/);
    await expect.poll(() => chart.locator('.recharts-errorBar').count()).toBeGreaterThanOrEqual(9);
    // Layer table: 9 expandable expert lines, each listing its 4 experts once opened.
    await expect(modelPage.expertGroups).toHaveCount(9);
    const first = modelPage.expertGroups.first();
    await expect(first.locator('summary')).toContainText(/4 experts · block 0 · gate/);
    await expect(first.getByTestId('expert-band')).toContainText(/α min \d\.\d{3} \/ median \d\.\d{3} \/ max \d\.\d{3}/);
    await expect(first.getByTestId('expert-row').first()).toBeHidden();
    await first.locator('summary').click();
    await expect(first.getByTestId('expert-row')).toHaveCount(4);
    await expect(first.getByTestId('expert-row').first()).toBeVisible();
    await expect(first.getByTestId('expert-row').nth(3)).toContainText('experts.3.w1');
    await expect(page.getByTestId('layer-table')).toContainText('block_sparse_moe.gate.weight');
  });

  test('a mirror says which model its weights are identical to, and each layer where its metrics came from', async ({ modelPage, page }) => {
    await modelPage.goto(SAMPLES.mirror);
    await expect(modelPage.identicalBanner).toContainText(`Weights identical to ${DEMO.trained}: metrics reused, not recomputed`);
    const reused = modelPage.layerTable.getByTestId('reused-from');
    await expect(reused.first()).toContainText(`identical to ${DEMO.trained}`);
    await expect(modelPage.layerTable).toContainText(`identical to ${DEMO.trained} model.layers.0.self_attn.q_proj.weight`);
    await modelPage.identicalBanner.getByRole('link', { name: DEMO.trained }).click();
    await page.waitForURL(new RegExp(`/models/${DEMO.trained}$`));
    await expect(modelPage.identicalBanner).toHaveCount(0);
  });
});
