import { expect, type Locator } from '@playwright/test';

/** Drawn marks of a recharts chart (scatter symbols, bars, lines), not its axes, grid or legend icons. */
export const CHART_MARKS = '.recharts-scatter-symbol path, .recharts-scatter-symbol circle, .recharts-bar-rectangle path, path.recharts-line-curve, path.recharts-scatter-line, .recharts-scatter-line path';

/** Fails when the chart has no accessible name or renders no marks. Returns the mark count. */
export async function expectChartDrawn(chart: Locator, atLeast = 1): Promise<number> {
  await expect(chart).toBeVisible();
  await expect(chart).toHaveAttribute('role', 'img');
  await expect(chart).toHaveAttribute('aria-label', /\w+/);
  const marks = chart.locator(CHART_MARKS);
  await expect.poll(() => marks.count(), { message: 'chart marks drawn' }).toBeGreaterThanOrEqual(atLeast);
  return marks.count();
}
