import { DEMO, expect, test } from './fixtures';
import { expectChartDrawn } from './pages/charts';

test('compare: type-ahead pickers, per-role depth charts, diagonal scatter, aligned deltas, permalink', async ({ comparePage, page }) => {
  await comparePage.goto();
  await comparePage.pick(comparePage.pickerA, 'trained', DEMO.trained);
  await comparePage.pick(comparePage.pickerB, 'falc', DEMO.falcon);
  await comparePage.submit();
  expect(new URL(page.url()).searchParams.get('a')).toBe(DEMO.trained);

  await expect(page.getByTestId('summary-deltas')).toContainText('Mean α');
  await expectChartDrawn(page.getByTestId('chart-compare-attn_in'), 4);
  await expectChartDrawn(page.getByTestId('chart-compare-mlp_out'), 2);
  await expectChartDrawn(page.getByTestId('chart-compare-diagonal'), 3);
  // Llama's q/k/v of a block line up against Falcon's fused query_key_value of the matching depth.
  const attn = comparePage.deltaRows.filter({ hasText: 'attn_in' });
  expect(await attn.count()).toBeGreaterThan(0);
  await expect(attn.first()).toContainText('3 layers, block 0');
  await expect(attn.first()).toContainText('query_key_value');

  const permalink = await page.getByTestId('permalink').getAttribute('href');
  await page.goto(permalink!);
  await expect(comparePage.pickerA).toHaveValue(DEMO.trained);
  await expect(comparePage.deltaRows.first()).toBeVisible();
});

test('compare tells which model is missing', async ({ comparePage, page }) => {
  await comparePage.goto(`?a=${DEMO.trained}&b=nobody/nothing`);
  await expect(page.getByTestId('compare-missing')).toContainText('nobody/nothing');
});
