import { expect, type Locator, type Page } from '@playwright/test';

export class ModelPage {
  readonly title: Locator;
  readonly esdSelect: Locator;
  readonly esdChart: Locator;
  readonly layerTable: Locator;
  /** The "Checkpoint" line: format, files, commit read. */
  readonly checkpoint: Locator;
  readonly checkpointFormat: Locator;
  /** "Weights identical to <model>: metrics reused, not recomputed". */
  readonly identicalBanner: Locator;
  /** Alpha by role (count, mean, median, min, max). */
  readonly roleSummary: Locator;
  /** One expandable line per block and projection of routed experts in the layer table. */
  readonly expertGroups: Locator;

  constructor(readonly page: Page) {
    this.title = page.getByTestId('model-title');
    this.esdSelect = page.getByTestId('esd-layer-select');
    this.esdChart = page.getByTestId('chart-esd');
    this.layerTable = page.getByTestId('layer-table');
    this.checkpoint = page.getByTestId('checkpoint');
    this.checkpointFormat = page.getByTestId('checkpoint-format');
    this.identicalBanner = page.getByTestId('identical-banner');
    this.roleSummary = page.getByTestId('role-summary');
    this.expertGroups = this.layerTable.getByTestId('expert-group');
  }

  async goto(id: string, query = '') {
    await this.page.goto(`/models/${id}${query}`);
    await expect(this.title).toHaveText(id);
  }

  chart(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  /** Picks a layer in the ESD viewer and waits for its spectrum to arrive from the API. */
  async pickEsdLayer(label: RegExp) {
    const option = this.esdSelect.locator('option').filter({ hasText: label }).first();
    const value = await option.getAttribute('value');
    const response = this.page.waitForResponse((r) => r.url().includes(`/layers/${value}/esd`) && r.status() === 200);
    await this.esdSelect.selectOption(value!);
    await response;
    await expect(this.esdChart.locator('..').locator('h3')).toContainText(label);
  }
}
