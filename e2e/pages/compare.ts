import { expect, type Locator, type Page } from '@playwright/test';

export class ComparePage {
  readonly pickerA: Locator;
  readonly pickerB: Locator;
  readonly deltaRows: Locator;

  constructor(readonly page: Page) {
    this.pickerA = page.getByTestId('picker-a');
    this.pickerB = page.getByTestId('picker-b');
    this.deltaRows = page.getByTestId('delta-row');
  }

  async goto(query = '') {
    await this.page.goto(`/compare${query}`);
  }

  /** Types into a picker and chooses the suggestion with the given id (type-ahead via /api/v1/search). */
  async pick(picker: Locator, typed: string, id: string) {
    await picker.fill('');
    await picker.pressSequentially(typed, { delay: 20 });
    const options = this.page.getByTestId(`${await picker.getAttribute('data-testid')}-options`);
    await expect(options).toBeVisible();
    // the option's name is the id then its family: match the id exactly (demo/x must not pick demo/x-mirror)
    await options.getByRole('option', { name: new RegExp(`^${id.replace('/', '\\/')}(\\s|$)`) }).click();
    await expect(picker).toHaveValue(id);
  }

  async submit() {
    await this.page.getByTestId('compare-submit').click();
    await this.page.waitForURL(/a=.*b=/);
  }
}
