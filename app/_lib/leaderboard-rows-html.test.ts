import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { LeaderboardRow } from '@/db/queries/leaderboard';
import { createRng } from '@/lib/spectral/rng';
import { LeaderboardTable } from '@/app/_components/LeaderboardTable';
import { tableRowOf } from './leaderboard-table-rows';
import { esc, leaderboardRowsHtml } from './leaderboard-rows-html';

/** The leaderboard body's server-built markup is exactly what the table's React columns render, hostile text included. */

const rng = createRng(11);
const pick = <T,>(items: readonly T[]): T => items[rng.nextBelow(items.length)];
const HOSTILE = ['<script>alert(1)</script>', 'a & b', 'say "hi"', "it's", 'x>y<z', '&amp;', '"><img src=x onerror=alert(1)>'];
const text = () => (rng.nextFloat() < 0.3 ? pick(HOSTILE) : pick(['llama', 'qwen2', 'apache-2.0', 'BF16', 'LlamaForCausalLM']));
const maybe = <T,>(v: T): T | null => (rng.nextFloat() < 0.2 ? null : v);
const value = () => (rng.nextFloat() < 0.15 ? null : pick([1.99951, 2, 6.0005, 0.00099, 123456.7, 0.004999, 0.5, 3.716528610176652, rng.nextFloat() * 9]));

function row(i: number): LeaderboardRow {
  const status = pick(['done', 'running', 'failed', 'queued', null] as const);
  const done = pick([0, 3, 30]);
  return {
    id: rng.nextFloat() < 0.1 ? `org/${pick(HOSTILE)}-${i}` : `org/model-${i}`, owner: 'org', name: `model-${i}`,
    family: maybe(text()), architecture: maybe(text()), parameterCount: maybe(pick([7e9, 1.3e8, 70e9, 999, 1.2e12])), dtype: maybe(text()),
    license: maybe(text()), gated: rng.nextFloat() < 0.3, downloads: i, likes: i, synthetic: rng.nextFloat() < 0.2, baseModel: null,
    type: pick(['model', 'fine-tune', 'adapter'] as const), status, analysisId: i,
    error: status === 'failed' || rng.nextFloat() < 0.1 ? maybe(pick(HOSTILE)) : null,
    progress: status ? { layersDone: done, layersTotal: maybe(30), waitingToResume: rng.nextFloat() < 0.3 } : null,
    revision: status ? { sha: `${pick(['abc', '"&<'])}def0123456789abcdef0123456789abcdef01`, ref: pick(['main', 'refs/pr/3', '"x"']), step: null } : null,
    analysedAt: maybe('2026-01-02T03:04:05.678Z'),
    summary: status === 'done' || status === 'running'
      ? ({
          layers_analyzed: 30, alpha: value(), median_alpha: value(), alpha_weighted: value(), log_alpha_norm: value(), log_spectral_norm: value(),
          log_norm: 1, stable_rank: 2, mean_D: value(), share_alpha_lt_2: value(), share_alpha_gt_6: value(), correlation_traps: maybe(pick([0, 2])),
        } as unknown as LeaderboardRow['summary'])
      : null,
    benchmarks: rng.nextFloat() < 0.5 ? {} : { mmlu: rng.nextFloat() * 100, arc: 55.55 },
  };
}

const view = { sort: 'alpha' as const, dir: 'asc' as const, page: 1, pageSize: 50 };

function reactBody(props: Parameters<typeof LeaderboardTable>[0]): string {
  const html = renderToStaticMarkup(createElement(LeaderboardTable, props));
  return html.slice(html.indexOf('<tbody>') + 7, html.indexOf('</tbody>'));
}

describe('leaderboard rows as HTML', () => {
  it('equal what the React columns render, over 3,000 rows with hostile text, for two hubs and benchmark sets', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => tableRowOf(row(i)));
    for (const [hub, benchmarks] of [['https://huggingface.co', []], ['https://hub.example/?a=1&b="2"', ['arc', 'mmlu']]] as [string, string[]][]) {
      for (let i = 0; i < rows.length; i += 100) {
        const page = rows.slice(i, i + 100);
        const props = { view, benchmarks, hub, emptyText: 'No <models> match', rows: page };
        expect(leaderboardRowsHtml(page, hub, benchmarks, props.emptyText)).toBe(reactBody(props));
      }
    }
    expect(rows.some((r) => r.id.includes('<script>'))).toBe(true);
  });

  it('escape every text: no raw markup from a row gets through', () => {
    const r = tableRowOf({ ...row(1), id: 'org/<script>x</script>', status: 'failed', error: '"><img src=x onerror=alert(1)>' });
    const html = leaderboardRowsHtml([r], 'https://huggingface.co', [], '');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('org/&lt;script&gt;x&lt;/script&gt;');
    expect(esc(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#x27;');
  });

  it('render the empty view as the table does', () => {
    for (const benchmarks of [[], ['arc']]) {
      const props = { view, benchmarks, hub: 'https://huggingface.co', emptyText: 'No models match. Try "fewer" filters & more', rows: [] };
      expect(leaderboardRowsHtml([], props.hub, benchmarks, props.emptyText)).toBe(reactBody(props));
    }
  });
});
