import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** The rule sets the pages must pass: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const NODES_LISTED = 8;

/**
 * Runs axe-core over the page as it stands (open details, focused tooltips and chosen layers included) and fails on
 * any WCAG 2.1 A/AA violation, listing each rule with its impact and the offending nodes.
 */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  await page.waitForLoadState('load');
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const report = results.violations.map((v) => {
    const nodes = v.nodes.slice(0, NODES_LISTED).map((n) => {
      const why = (n.failureSummary ?? '').split('\n').filter((l) => l.trim() && !/^Fix (any|all)/.test(l)).map((l) => l.trim());
      return `    - ${n.target.join(' ')}: ${why.join(' / ')}`;
    });
    if (v.nodes.length > NODES_LISTED) nodes.push(`    … and ${v.nodes.length - NODES_LISTED} more`);
    return `${v.id} (${v.impact ?? 'n/a'}, ${v.nodes.length} node${v.nodes.length === 1 ? '' : 's'}): ${v.help}\n${nodes.join('\n')}`;
  });
  expect(report, `axe-core WCAG 2.1 AA violations on ${state} (${page.url()})\n${report.join('\n')}`).toEqual([]);
}
