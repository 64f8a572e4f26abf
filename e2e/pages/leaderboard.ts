import { expect, type Locator, type Page } from '@playwright/test';

export class LeaderboardPage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly total: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('leaderboard');
    this.rows = page.getByTestId('leaderboard-row');
    this.total = page.getByTestId('total');
  }

  async goto(query = '') {
    await this.page.goto(`/${query}`);
    await expect(this.table).toBeVisible();
  }

  /** Model ids in display order. */
  async modelIds(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model') ?? ''));
  }

  /** Numeric values of one column (its header's data-testid is col-<key>) in display order (null for "—"). */
  async columnValues(col: string): Promise<(number | null)[]> {
    const index = await this.table.locator('thead th').evaluateAll((ths, id) => ths.findIndex((th) => th.getAttribute('data-testid') === id), `col-${col}`);
    expect(index, `column ${col}`).toBeGreaterThanOrEqual(0);
    return this.page.locator(`[data-testid=leaderboard-row] > td:nth-child(${index + 1})`).evaluateAll((cells) =>
      cells.map((c) => {
        const t = (c.textContent ?? '').replace('%', '').trim();
        const n = Number(t);
        return t === '—' || t === '' || !Number.isFinite(n) ? null : n;
      }),
    );
  }

  /** Clicks a column header and waits for the navigation it causes (the view lives in the URL). */
  async sortBy(col: string) {
    const before = this.page.url();
    await this.page.getByTestId(`col-${col}`).getByRole('link').click();
    await this.page.waitForURL((u) => u.href !== before);
    await expect(this.page.getByTestId(`col-${col}`)).toHaveAttribute('aria-sort', /ascending|descending/);
  }

  async search(text: string) {
    await this.page.getByTestId('filter-q').fill(text);
    await this.page.getByTestId('filter-apply').click();
    await this.page.waitForURL(/q=/);
  }

  async filterFamily(family: string) {
    await this.page.getByTestId('filter-family').selectOption(family);
    await this.page.getByTestId('filter-apply').click();
    await this.page.waitForURL(/family=/);
  }
}
