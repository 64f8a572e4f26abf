import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { LeaderboardRow } from '@/db/queries/leaderboard';
import { createRng } from '@/lib/spectral/rng';
import { LeaderboardTable } from '@/app/_components/LeaderboardTable';
import { shortestShownAlike, tableRowOf } from './leaderboard-table-rows';
import { fmt } from '@/app/_components/format';

/** The leaderboard page's compact table rows: the table renders them exactly as it renders the full rows. */

const rng = createRng(7);
/** Values around the table's edges: the alpha colours (2, 6), fmt's switch to exponents (1e-3, 1e5), pct's 1%. */
const EDGES = [1.99949, 1.9995, 1.99951, 2, 5.9995, 6.00049, 6.0005, 0.00099951, 0.001, 99999.9996, 1e5, 0.0049999, 0.00995, 0.1, 1 / 3, 2 / 3];

function value(): number | null {
  const r = rng.nextFloat();
  if (r < 0.1) return null;
  if (r < 0.4) return EDGES[rng.nextBelow(EDGES.length)] * (1 + (rng.nextFloat() - 0.5) * 1e-9);
  return (rng.nextFloat() * 10) ** (1 + rng.nextBelow(3)) * (rng.nextFloat() < 0.1 ? 1e-4 : 1);
}

function row(i: number): LeaderboardRow {
  const status = (['done', 'running', 'failed', 'queued', null] as const)[i % 5];
  return {
    id: `org/model-${i}`, owner: 'org', name: `model-${i}`, family: i % 3 ? 'llama' : null, architecture: 'LlamaForCausalLM',
    parameterCount: i % 7 ? 1234567890 * (i + 1) : null, dtype: 'BF16', license: i % 2 ? 'apache-2.0' : null, gated: i % 4 === 0,
    downloads: 10 * i, likes: i, synthetic: i % 9 === 0, baseModel: i % 5 ? null : 'org/base', type: i % 5 ? 'model' : 'fine-tune',
    status, analysisId: i, error: status === 'failed' ? 'gated: no access' : null,
    progress: status === 'running' ? { layersDone: 7, layersTotal: 30, waitingToResume: i % 2 === 0 } : status ? { layersDone: 30, layersTotal: 30, waitingToResume: false } : null,
    revision: status ? { sha: 'abcdef0123456789abcdef0123456789abcdef01', ref: i % 6 ? 'main' : 'refs/pr/3', step: i % 8 ? null : 1000 } : null,
    analysedAt: status === 'done' ? '2026-01-02T03:04:05.678Z' : null,
    summary: status === 'done' || status === 'running'
      ? ({
          layers_analyzed: 30, alpha: value(), median_alpha: value(), alpha_weighted: value(), log_alpha_norm: value(), log_spectral_norm: value(),
          log_norm: value(), stable_rank: value(), mean_D: value(), share_alpha_lt_2: value(), share_alpha_gt_6: value(), correlation_traps: i % 3 ? null : 2,
        } as unknown as LeaderboardRow['summary'])
      : null,
    benchmarks: i % 4 ? {} : { mmlu: (value() ?? 1) * 10, arc: 55.55 },
  };
}

const view = { sort: 'alpha' as const, dir: 'asc' as const, page: 1, pageSize: 50 };

describe('leaderboard table rows', () => {
  it('render the same HTML as the full rows, over 2,000 rows with values at the display edges', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => row(i));
    const props = { view, benchmarks: ['arc', 'mmlu'], hub: 'https://hub.example', emptyText: 'none' };
    for (let i = 0; i < rows.length; i += 100) {
      const page = rows.slice(i, i + 100);
      const full = renderToStaticMarkup(createElement(LeaderboardTable, { ...props, rows: page }));
      const compact = renderToStaticMarkup(createElement(LeaderboardTable, { ...props, rows: page.map(tableRowOf) }));
      expect(compact).toBe(full);
    }
  });

  it('are much smaller than the full rows, and the same object per snapshot row', () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(i * 5));
    expect(JSON.stringify(rows.map(tableRowOf)).length).toBeLessThan(0.75 * JSON.stringify(rows).length);
    expect(tableRowOf(rows[0])).toBe(tableRowOf(rows[0]));
  });

  it('shortens a number only as far as its display stays the same', () => {
    expect(shortestShownAlike(3.716528610176652, fmt)).toBe(3.717);
    expect(shortestShownAlike(1.99951, fmt)).toBe(2);
    expect(shortestShownAlike(7, fmt)).toBe(7);
    expect(fmt(shortestShownAlike(0.000123456789, fmt))).toBe(fmt(0.000123456789));
  });
});
