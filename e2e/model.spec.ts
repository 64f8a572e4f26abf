import { DEMO, expect, test } from './fixtures';
import { expectChartDrawn } from './pages/charts';

test.describe('model page', () => {
  test('draws every chart with real layers and lists every layer with its full tensor name', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.trained);
    await expect(page.getByTestId('summary-cards')).toContainText('Mean α');
    const rows = page.getByTestId('layer-row');
    // The table's lines come with the page view, fetched once the page is in the browser.
    await expect(rows.first()).toBeVisible();
    const n = await rows.count();
    expect(n).toBeGreaterThan(10);
    await expect(modelPage.layerTable).toContainText('model.layers.0.self_attn.q_proj.weight');
    // One scatter mark per fitted layer, at least.
    expect(await expectChartDrawn(modelPage.chart('chart-alpha-depth'))).toBeGreaterThanOrEqual(10);
    await expectChartDrawn(modelPage.chart('chart-alpha-hist'));
    await expectChartDrawn(modelPage.chart('chart-alpha-d'));
    await expectChartDrawn(modelPage.esdChart, 3);
  });

  test('the layer table shows its first 20 lines, then every layer from the layers API', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.trained);
    const total = Number((await page.locator('#table-h').textContent())?.match(/\((\d+)\)/)?.[1]);
    expect(total).toBeGreaterThan(20);
    const rows = page.getByTestId('layer-row');
    await expect(rows).toHaveCount(20);
    const response = page.waitForResponse((r) => r.url().includes('/layers?revision=') && r.status() === 200);
    await page.getByTestId('layer-show-all').click();
    await response;
    await expect(rows).toHaveCount(total);
    await expect(modelPage.layerTable).toContainText('lm_head.weight');
    await expect(page.getByText('Could not load all layers')).toHaveCount(0);
  });

  test('sorts the layer table by alpha', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.falcon);
    await page.getByTestId('layer-sort-alpha').click();
    const alphaIndex = await page.locator('[data-testid=layer-table] thead th').evaluateAll((ths) => ths.findIndex((t) => t.textContent?.trim() === 'alpha'));
    const values = await page.locator('[data-testid=layer-row]').evaluateAll(
      (trs, i) => trs.map((tr) => Number(tr.children[i as number]?.textContent)).filter((v) => Number.isFinite(v)),
      alphaIndex,
    );
    expect(values.length).toBeGreaterThan(3);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    await expect(modelPage.layerTable).toContainText('query_key_value');
  });

  test('ESD viewer switches layers and redraws the density with its fit', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.trained);
    await expectChartDrawn(modelPage.esdChart, 3);
    const before = await modelPage.esdChart.getAttribute('aria-label');
    await modelPage.pickEsdLayer(/model\.layers\.1\.mlp\.down_proj/);
    await expectChartDrawn(modelPage.esdChart, 3);
    const after = await modelPage.esdChart.getAttribute('aria-label');
    expect(after).not.toEqual(before);
    expect(after).toContain('model.layers.1.mlp.down_proj');
    // The fitted line is drawn, and xmin is marked.
    await expect(modelPage.esdChart.locator('.recharts-scatter-line, path.recharts-scatter-line').first()).toBeAttached();
    await expect(modelPage.esdChart.getByText('xmin')).toBeVisible();
    await page.keyboard.press('Tab');
  });

  test('training checkpoints: revision history and alpha over steps', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.series);
    await expect(page.getByTestId('revisions').locator('tbody tr')).toHaveCount(4);
    await expectChartDrawn(modelPage.chart('chart-series'), 4);
    await page.getByTestId('revisions').getByRole('link', { name: 'show' }).first().click();
    await page.waitForURL(/revision=/);
    await expect(page.getByTestId('analysis-status')).toContainText('step');
  });

  test('a fine-tune links to a comparison with its base model', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.chat);
    const link = page.getByTestId('compare-base');
    await expect(link).toBeVisible();
    await link.click();
    await page.waitForURL(/\/compare\?a=.*&b=/);
    await expect(page.getByTestId('delta-table')).toBeVisible();
  });

  test('unknown models get a 404 page', async ({ page }) => {
    const res = await page.goto('/models/nobody/nothing-here');
    expect(res?.status()).toBe(404);
    await expect(page.getByTestId('not-found')).toBeVisible();
  });
});
