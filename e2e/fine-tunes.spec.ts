import { DEMO, DEMO_ADAPTER, expect, test } from './fixtures';
import { expectChartDrawn } from './pages/charts';

/**
 * Fine-tunes and adapters on the pages: the seed ran the delta analyses of the demo fine-tunes against
 * demo/llama-mini-trained and the adapter analysis of demo/llama-mini-lora (lib/hub-stand-in/demo-models.ts,
 * DEMO_PLANTED).
 */

test.describe('what training changed', () => {
  test('planted fine-tune: ΔW summary, Δalpha by depth drawn, ΔW rows, ΔW spectra in the ESD viewer', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.ftPlanted);
    const section = page.getByTestId('training-delta');
    await expect(section).toHaveAttribute('data-kind', 'delta');
    await expect(page.getByTestId('delta-base')).toHaveText(DEMO.trained);
    await expect(page.getByTestId('delta-status')).toContainText('done');
    await expect(page.getByTestId('delta-summary')).toContainText('ΔW mean α');
    await expect(page.getByTestId('delta-card-alpha').locator('.value')).toHaveText(/^\d+\.\d+$/);
    await expect(page.getByTestId('delta-card-dalpha').locator('.value')).toHaveText(/^-?\d+\.\d+$/);
    // Every block's matrices have a Δα point (2 blocks × 7 projections at least).
    expect(await expectChartDrawn(page.getByTestId('chart-delta-alpha-depth'))).toBeGreaterThanOrEqual(8);
    await expectChartDrawn(page.getByTestId('chart-delta-w-alpha'));
    const table = page.getByTestId('delta-table');
    const q0 = table.locator('tr', { hasText: 'model.layers.0.self_attn.q_proj.weight' });
    await expect(q0).toHaveAttribute('data-status', 'success');
    // ΔW alpha, Δα, relative Frobenius and spectral ratio, stable and effective rank are all numbers.
    const cells = await q0.locator('td.num').allTextContents();
    expect(cells).toHaveLength(6);
    for (const c of cells) expect(Number(c)).not.toBeNaN();

    // The ESD viewer switches to ΔW's rows and draws a ΔW spectrum from the API.
    await expectChartDrawn(modelPage.esdChart, 3);
    const response = page.waitForResponse((r) => r.url().includes('delta=true') && r.url().includes('/esd') && r.status() === 200);
    await page.getByTestId('esd-source-delta').check();
    await response;
    await expect(modelPage.esdChart.locator('..').locator('h3')).toContainText('ΔW of');
    await expectChartDrawn(modelPage.esdChart, 3);
    await expect(modelPage.esdSelect.locator('option').first()).toContainText('model.');
  });

  test('frozen fine-tune: attention rows unchanged, MLP rows analysed', async ({ page, modelPage }) => {
    await modelPage.goto(DEMO.ftFrozen);
    const table = page.getByTestId('delta-table');
    await expect(table.locator('tr', { hasText: 'model.layers.0.self_attn.q_proj.weight' })).toHaveAttribute('data-status', 'unchanged');
    await expect(table.locator('tr', { hasText: 'model.layers.1.self_attn.o_proj.weight' })).toHaveAttribute('data-status', 'unchanged');
    await expect(table.locator('tr', { hasText: 'model.layers.0.mlp.down_proj.weight' })).toHaveAttribute('data-status', 'success');
    await expect(table.locator('tr[data-status=unchanged]').first()).toContainText('frozen');
    expect(Number(await page.getByTestId('delta-card-unchanged').locator('.value').textContent())).toBeGreaterThanOrEqual(8);
  });

  test('classification fine-tune: score.weight unmatched, resized embeddings compared over the shared rows', async ({ page, modelPage }) => {
    await modelPage.goto(DEMO.ftCls);
    const unmatched = page.getByTestId('delta-unmatched');
    await expect(unmatched).toContainText('score.weight');
    await expect(page.getByTestId('delta-card-unmatched').locator('.value')).not.toHaveText('0');
    const embed = page.getByTestId('delta-table').locator('tr', { hasText: 'model.embed_tokens.weight' });
    await expect(embed).toContainText('2056');
    await expect(embed).toContainText('first 2048 rows');
  });

  test('adapter: LoRA rows with r, lora_alpha and the rslora scale', async ({ page, modelPage }) => {
    await modelPage.goto(DEMO_ADAPTER);
    await expect(page.getByTestId('training-delta')).toHaveAttribute('data-kind', 'adapter');
    const table = page.getByTestId('delta-table');
    await expect(table.locator('thead')).toContainText('scale');
    // r = 16, lora_alpha = 32, s = 32/√16 = 8 (rslora); rank_pattern down_proj → 12, s = 32/√12.
    const q = table.locator('tr', { hasText: 'model.layers.0.self_attn.q_proj.weight' });
    await expect(q).toHaveAttribute('data-status', 'success');
    await expect(q.locator('td.num').nth(3)).toHaveText('16');
    await expect(q.locator('td.num').nth(5)).toHaveText('8.000');
    const down = table.locator('tr', { hasText: 'model.layers.0.mlp.down_proj.weight' });
    await expect(down.locator('td.num').nth(3)).toHaveText('12');
    await expect(down.locator('td.num').nth(5)).toHaveText((32 / Math.sqrt(12)).toFixed(3));
    await expectChartDrawn(page.getByTestId('chart-delta-w-alpha'));
  });

  test("base page lists its fine-tunes and the adapter, and links to the leaderboard's base view", async ({ page, modelPage, leaderboard }) => {
    await modelPage.goto(DEMO.trained);
    const list = page.getByTestId('derived-models');
    for (const id of [DEMO.ftPlanted, DEMO.ftFrozen, DEMO.ftCls, DEMO.chat, DEMO_ADAPTER]) {
      await expect(list.getByRole('link', { name: id, exact: true })).toBeVisible();
    }
    const adapterRow = list.locator('[data-testid=derived-row][data-type=adapter]');
    await expect(adapterRow).toContainText(DEMO_ADAPTER);
    await expect(adapterRow).toContainText('done');
    const planted = list.locator('[data-testid=derived-row]', { hasText: DEMO.ftPlanted });
    await expect(planted.locator('td.num').first()).toHaveText(/^\d+\.\d+$/);
    await expect(planted.locator('td.num').nth(1)).toHaveText(/^-?\d+\.\d+$/);

    await page.getByTestId('derived-leaderboard').click();
    await page.waitForURL(/base=/);
    await expect(page.getByTestId('base-filter')).toContainText(DEMO.trained);
    const ids = await leaderboard.modelIds();
    expect(ids).toContain(DEMO_ADAPTER);
    expect(ids).toContain(DEMO.ftPlanted);
    expect(ids).not.toContain(DEMO.trained);
    await expect(leaderboard.rows.filter({ hasText: DEMO_ADAPTER }).getByTestId('type-badge')).toHaveText('adapter');
  });

  test('leaderboard type filter shows the adapter; the default view ranks full models only', async ({ page, leaderboard }) => {
    await leaderboard.goto();
    expect(await leaderboard.modelIds()).not.toContain(DEMO_ADAPTER);
    await expect(leaderboard.rows.filter({ hasText: DEMO.ftPlanted }).getByTestId('type-badge')).toHaveText('fine-tune');
    await page.getByTestId('filter-type').selectOption('adapter');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/type=adapter/);
    expect(await leaderboard.modelIds()).toEqual([DEMO_ADAPTER]);
    await expect(page.getByTestId('filter-type')).toHaveValue('adapter');

    await leaderboard.goto('?type=fine-tune');
    const ids = await leaderboard.modelIds();
    expect(ids).toEqual(expect.arrayContaining([DEMO.ftPlanted, DEMO.ftFrozen, DEMO.ftCls]));
    expect(ids).not.toContain(DEMO.trained);
  });

  test('bad input: an unknown type is reported, a ΔW spectrum of a model without a delta analysis is a clear 404', async ({ page, request, leaderboard }) => {
    await page.goto('/?type=lora');
    await expect(page.getByTestId('param-error')).toContainText('type');
    await expect(leaderboard.table).toBeVisible();
    const res = await request.get(`/api/v1/models/${DEMO.falcon}/layers/0/esd?delta=true`);
    expect(res.status()).toBe(404);
    expect((await res.json()).error.code).toBe('not_found:analysis');
    const bad = await request.get(`/api/v1/models/${DEMO.ftPlanted}/layers/0/esd?delta=yes`);
    expect(bad.status()).toBe(400);
  });
});
