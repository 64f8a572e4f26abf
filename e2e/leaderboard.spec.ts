import { DEMO, DEMO_MODEL_COUNT, expect, test } from './fixtures';

test.describe('leaderboard', () => {
  test('lists every analysed demo model with real numbers, sorted by mean alpha', async ({ leaderboard, page }) => {
    await leaderboard.goto();
    // Six analysed demo repos and three fixture models (.bin, MoE, mirror: db/queries/testing/sample-data.ts).
    await expect(leaderboard.rows).toHaveCount(DEMO_MODEL_COUNT);
    const alphas = await leaderboard.columnValues('alpha');
    expect(alphas.every((a) => a !== null && a > 0)).toBe(true);
    expect(alphas).toEqual([...alphas].sort((a, b) => a! - b!));
    // Planted spectra: the random-like twin ranks last (highest alpha), above 6.
    expect((await leaderboard.modelIds()).at(-1)).toBe(DEMO.random);
    expect(alphas.at(-1)!).toBeGreaterThan(6);
    await expect(page.getByTestId('hub-banner')).toContainText('npm run demo');
  });

  test('sorts on a column header, keeps the view in the URL, and reverses on a second click', async ({ leaderboard, page }) => {
    await leaderboard.goto();
    await leaderboard.sortBy('alpha');
    expect(page.url()).toContain('dir=desc');
    const desc = await leaderboard.columnValues('alpha');
    expect(desc).toEqual([...desc].sort((a, b) => b! - a!));
    await expect(page.getByTestId('col-alpha')).toHaveAttribute('aria-sort', 'descending');

    await leaderboard.sortBy('layers');
    expect(page.url()).toContain('sort=layers');
    const layers = await leaderboard.columnValues('layers');
    expect(layers).toEqual([...layers].sort((a, b) => b! - a!));

    await page.reload();
    expect(await leaderboard.columnValues('layers')).toEqual(layers);

    await leaderboard.goto('?sort=bench:mmlu');
    const mmlu = await leaderboard.columnValues('bench:mmlu');
    expect(mmlu.filter((v) => v !== null)).toEqual([...mmlu.filter((v) => v !== null)].sort((a, b) => b! - a!));
  });

  test('filters by family and searches by text', async ({ leaderboard, page }) => {
    await leaderboard.goto();
    await leaderboard.filterFamily('llama');
    // family llama: the llama-mini demo models (Llama 4 is a family of its own)
    const llamas = Object.values(DEMO).filter((id) => id.startsWith('demo/llama-mini')).length;
    await expect(leaderboard.rows).toHaveCount(llamas);
    for (const id of await leaderboard.modelIds()) expect(id).toContain('llama');
    await expect(leaderboard.total).toContainText(`${llamas} models`);

    await leaderboard.goto();
    await leaderboard.search('falcon');
    await expect(leaderboard.rows).toHaveCount(1);
    expect(await leaderboard.modelIds()).toEqual([DEMO.falcon]);

    await leaderboard.goto('?status=failed');
    await expect(leaderboard.rows).toHaveCount(0);
    await leaderboard.goto('?dtype=F32');
    expect((await leaderboard.modelIds()).sort()).toEqual([DEMO.falcon, DEMO.gpt2].sort());
    await leaderboard.goto('?minParams=1B');
    await expect(leaderboard.rows).toHaveCount(0);
    await expect(page.getByText('No models match')).toBeVisible();
  });

  test('paginates', async ({ leaderboard, page }) => {
    await leaderboard.goto('?pageSize=8');
    await expect(leaderboard.rows).toHaveCount(8);
    const first = await leaderboard.modelIds();
    await page.getByTestId('next-page').click();
    await page.waitForURL(/page=2/);
    await expect(leaderboard.rows).toHaveCount(DEMO_MODEL_COUNT - 8);
    const second = await leaderboard.modelIds();
    expect(new Set([...first, ...second]).size).toBe(DEMO_MODEL_COUNT);
  });

  test('exports the current view as CSV and JSON through the API', async ({ leaderboard, page }) => {
    await leaderboard.goto('?family=llama&sort=median_alpha&dir=desc');
    const csvHref = await page.getByTestId('export-csv').getAttribute('href');
    expect(csvHref).toContain('family=llama');
    expect(csvHref).toContain('format=csv');
    const csv = await page.request.get(csvHref!);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const lines = (await csv.text()).trim().split(/\r\n/);
    expect(lines[0]).toMatch(/^id,family,architecture/);
    const ids = lines.slice(1).map((l) => l.split(',')[0]);
    expect(ids).toEqual(await leaderboard.modelIds());

    const jsonHref = await page.getByTestId('export-json').getAttribute('href');
    const json = await (await page.request.get(jsonHref!)).json();
    expect(json.total).toBe(Object.values(DEMO).filter((id) => id.startsWith('demo/llama-mini')).length);
    expect(json.models.map((m: { id: string }) => m.id)).toEqual(ids);
    expect(json.models[0].summary.median_alpha).toBeGreaterThan(0);
  });

  test('explains each metric in a keyboard-reachable tooltip', async ({ leaderboard, page }) => {
    await leaderboard.goto();
    const tip = page.getByTestId('col-alpha').getByRole('button', { name: /About/ });
    await tip.focus();
    const tooltip = page.getByTestId('col-alpha').getByRole('tooltip');
    await expect(tooltip).toBeVisible();
    await expect(tooltip).toContainText(/better/);
    // Keyboard: the search field is reachable and Enter submits the filter form.
    await page.getByTestId('filter-q').focus();
    await page.keyboard.type('gpt2');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=gpt2/);
    await expect(leaderboard.rows).toHaveCount(1);
  });

  test('fits a phone-sized viewport', async ({ leaderboard, page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await leaderboard.goto();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await expect(leaderboard.rows.first()).toBeVisible();
  });
});

test('benchmarks page shows a correlation chart with Spearman rho', async ({ page }) => {
  await page.goto('/correlations?benchmark=mmlu&metric=alpha');
  await expect(page.getByTestId('spearman')).toContainText(/ρ\(alpha, mmlu\) = -?\d\.\d{3}/);
  const { expectChartDrawn } = await import('./pages/charts');
  expect(await expectChartDrawn(page.getByTestId('chart-correlation'))).toBe(6);
});
