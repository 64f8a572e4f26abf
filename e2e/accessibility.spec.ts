import { DEMO, DEMO_ADAPTER, expect, test } from './fixtures';
import { expectAccessible } from './pages/axe';

/**
 * axe-core (WCAG 2.0/2.1, A and AA) over every page and state the other specs visit. Any violation fails the test
 * and is listed with its rule, impact and nodes. Everything is scanned with the light colour-scheme preference;
 * one page of each kind again with the dark preference (the site keeps its light palette there, form controls and
 * charts included, and this checks that nothing turns unreadable).
 */

/** Pages that need nothing but a visit: [state, path]. */
const VISITS: [string, string][] = [
  ['leaderboard', '/'],
  ['leaderboard sorted by a benchmark', '/?sort=bench:mmlu'],
  ['leaderboard filtered and sorted', '/?family=llama&sort=median_alpha&dir=desc'],
  ['leaderboard search', '/?q=mini'],
  ['leaderboard with no results', '/?q=no-such-model-anywhere'],
  ['leaderboard failed analyses', '/?status=failed'],
  ['leaderboard running analyses', '/?status=running'],
  ['leaderboard by dtype', '/?dtype=F32'],
  ['leaderboard by size', '/?minParams=1B'],
  ['leaderboard second page', '/?pageSize=8&page=2'],
  ['model page', `/models/${DEMO.trained}`],
  ['under-trained model', `/models/${DEMO.random}`],
  ['fine-tune with its base', `/models/${DEMO.chat}`],
  ['fused attention model', `/models/${DEMO.falcon}`],
  ['GPT-2 model', `/models/${DEMO.gpt2}`],
  ['training checkpoints', `/models/${DEMO.series}`],
  ['PyTorch .bin model', `/models/${DEMO.bin}`],
  ['legacy .bin model', `/models/${DEMO.legacy}`],
  ['conversion-PR model', `/models/${DEMO.pr}`],
  ['mirror with identical-to banner', `/models/${DEMO.mirror}`],
  ['3-D expert stacks', `/models/${DEMO.moe3d}`],
  ['fine-tune with a planted ΔW', `/models/${DEMO.ftPlanted}`],
  ['fine-tune with frozen layers', `/models/${DEMO.ftFrozen}`],
  ['fine-tune with added tokens and a head', `/models/${DEMO.ftCls}`],
  ['LoRA adapter', `/models/${DEMO_ADAPTER}`],
  ['leaderboard of fine-tunes', '/?type=fine-tune'],
  ['leaderboard of adapters', '/?type=adapter'],
  ['leaderboard of fine-tunes of a base', `/?base=${DEMO.trained}`],
  ['leaderboard with an invalid filter', '/?type=lora'],
  ['compare picker', '/compare'],
  ['compare fine-tune with base', `/compare?a=${DEMO.falcon}&b=${DEMO.chat}`],
  ['compare llama and falcon', `/compare?a=${DEMO.trained}&b=${DEMO.falcon}`],
  ['compare with a missing model', `/compare?a=${DEMO.trained}&b=nobody/nothing`],
  ['correlations', '/correlations'],
  ['correlations mmlu vs alpha', '/correlations?benchmark=mmlu&metric=alpha'],
  ['unknown model (404)', '/models/nobody/nothing-here'],
  ['unknown page (404)', '/no-such-page'],
];

/** Pages scanned again with prefers-color-scheme: dark. */
const DARK_VISITS: [string, string][] = [
  ['leaderboard', '/'],
  ['leaderboard with no results', '/?q=no-such-model-anywhere'],
  ['model page', `/models/${DEMO.trained}`],
  ['MoE model', `/models/${DEMO.moe}`],
  ['fine-tune with a planted ΔW', `/models/${DEMO.ftPlanted}`],
  ['training checkpoints', `/models/${DEMO.series}`],
  ['compare fine-tune with base', `/compare?a=${DEMO.falcon}&b=${DEMO.chat}`],
  ['correlations mmlu vs alpha', '/correlations?benchmark=mmlu&metric=alpha'],
  ['unknown model (404)', '/models/nobody/nothing-here'],
];

async function visitAndScan(page: import('@playwright/test').Page, state: string, path: string) {
  await page.goto(path);
  await expect(page.locator('main h1').first()).toBeVisible();
  // Charts draw after hydration (ResponsiveContainer measures first): scan them drawn.
  if (await page.locator('figure.chart').count()) await expect(page.locator('figure.chart .recharts-surface').first()).toBeVisible();
  await expectAccessible(page, state);
}

test.describe('accessibility (dark colour-scheme preference)', () => {
  test.use({ colorScheme: 'dark' });
  for (const [state, path] of DARK_VISITS) {
    test(`${state}: ${path}`, async ({ page }) => visitAndScan(page, `${state} (dark)`, path));
  }
});

test.describe('accessibility', () => {
  test.use({ colorScheme: 'light' });

  for (const [state, path] of VISITS) {
    test(`${state}: ${path}`, async ({ page }) => visitAndScan(page, state, path));
  }

  test('leaderboard: tooltip open and a column sorted through its header', async ({ leaderboard, page }) => {
    await leaderboard.goto();
    await leaderboard.sortBy('median_alpha');
    await page.locator('.tip-btn').first().focus();
    await expect(page.getByRole('tooltip').first()).toBeVisible();
    await expectAccessible(page, 'leaderboard with a tooltip open');
  });

  test('leaderboard on a phone-sized viewport', async ({ leaderboard, page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await leaderboard.goto();
    await expectAccessible(page, 'leaderboard on a phone');
  });

  test('model page: ESD viewer on another layer, layer table sorted by alpha', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.trained);
    await modelPage.pickEsdLayer(/model\.layers\.1\.mlp\.down_proj/);
    await page.getByTestId('layer-sort-alpha').click();
    await expectAccessible(page, 'model page after picking an ESD layer and sorting');
  });

  test('MoE model with an expert group opened', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.moe);
    const first = modelPage.expertGroups.first();
    await first.locator('summary').click();
    await expect(first.getByTestId('expert-row').first()).toBeVisible();
    await expectAccessible(page, 'MoE model, expert group open');
  });

  test('training checkpoints: an older revision shown', async ({ modelPage, page }) => {
    await modelPage.goto(DEMO.series);
    await page.getByTestId('revisions').getByRole('link', { name: 'show' }).first().click();
    await page.waitForURL(/revision=/);
    await expectAccessible(page, 'model page at an older revision');
  });

  test('compare: type-ahead suggestions open', async ({ comparePage, page }) => {
    await comparePage.goto();
    await comparePage.pickerA.pressSequentially('mini', { delay: 20 });
    await expect(page.getByTestId('picker-a-options')).toBeVisible();
    await expectAccessible(page, 'compare with suggestions open');
  });
});

test.describe('text alternatives and sort state', () => {
  test('every chart is a figure with a caption and a data table a screen reader can read', async ({ page }) => {
    for (const path of [`/models/${DEMO.trained}`, `/models/${DEMO.series}`, `/models/${DEMO.moe}`, `/compare?a=${DEMO.trained}&b=${DEMO.falcon}`, '/correlations?benchmark=mmlu&metric=alpha']) {
      await page.goto(path);
      const figures = page.locator('figure.chart');
      await expect(figures.first()).toBeVisible();
      for (const figure of await figures.all()) {
        await expect(figure.locator('figcaption')).not.toBeEmpty();
        const table = figure.locator('table');
        await expect(table.locator('caption')).not.toBeEmpty();
        expect(await table.locator('tbody tr').count(), `data rows in a chart of ${path}`).toBeGreaterThan(0);
      }
    }
  });

  test('sortable headers say how the table is sorted', async ({ leaderboard, modelPage, page }) => {
    await leaderboard.goto('?sort=median_alpha&dir=desc');
    await expect(page.getByTestId('col-median_alpha')).toHaveAttribute('aria-sort', 'descending');
    await expect(page.getByTestId('col-alpha')).toHaveAttribute('aria-sort', 'none');
    await modelPage.goto(DEMO.falcon);
    const header = (c: string) => page.getByTestId(`layer-sort-${c}`).locator('..');
    await expect(header('ordinal')).toHaveAttribute('aria-sort', 'ascending');
    await page.getByTestId('layer-sort-alpha').click();
    await expect(header('alpha')).toHaveAttribute('aria-sort', 'ascending');
    await expect(header('ordinal')).toHaveAttribute('aria-sort', 'none');
    await page.getByTestId('layer-sort-alpha').click();
    await expect(header('alpha')).toHaveAttribute('aria-sort', 'descending');
    await expect(modelPage.layerTable.locator('caption')).toHaveText('Layers sorted by alpha, descending');
  });
});
