import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { expertMemberOf, metricColumnsOf } from '@/db/queries/layer-aggregates';
import { LayerLinesTable, tableItems } from './LayerTable';

/** The layer table's grouping of MoE experts and its reused-from note, rendered on the server. */

let ordinal = 0;
const row = (tensor: string, role: string, alpha: number, extra: Record<string, unknown> = {}) => ({
  ordinal: ordinal++, tensor, name: tensor.replace(/\.weight$/, ''), role, status: 'success', alpha, D: 0.05,
  block_index: Number(/layers\.(\d+)/.exec(tensor)?.[1] ?? NaN) || 0, expert: null as number | null, ...extra,
});

const rows = [
  row('model.layers.0.self_attn.q_proj.weight', 'q', 3, { reused_from: 'org/base model.layers.0.self_attn.q_proj.weight' }),
  ...[0, 1, 2, 3].map((e) => row(`model.layers.0.block_sparse_moe.experts.${e}.w3.weight`, 'expert', 2 + e, { expert: e })),
  row('model.layers.0.block_sparse_moe.gate.weight', 'router', 5),
];

describe('layer table', () => {
  it("collapses one block's experts of one projection into a line of medians", () => {
    const items = tableItems(rows, ['alpha', 'D']);
    expect(items).toHaveLength(3);
    const group = items[1];
    expect(group.members).toHaveLength(4);
    expect(group.row).toMatchObject({ alpha: 3.5, D: 0.05, status: '4/4 success', ordinal: 1 });
  });

  it('renders the expert group as a <details> with each expert inside, and the reused-from note', () => {
    const lines = tableItems(rows, metricColumnsOf(rows)).map((l) => ({ row: l.row, members: l.members?.map(expertMemberOf) }));
    const html = renderToStaticMarkup(createElement(LayerLinesTable, { lines, total: rows.length, fullUrl: '/x' }));
    expect(html).toContain('data-testid="expert-group"');
    expect(html).toMatch(/4 experts · block 0 · up/);
    expect(html).toContain('α min 2.000 / median 3.500 / max 5.000');
    expect(html.match(/data-testid="expert-row"/g)).toHaveLength(4);
    expect(html.match(/data-testid="layer-row"/g)).toHaveLength(3);
    expect(html).toContain('identical to <a href="/models/org/base">org/base</a> model.layers.0.self_attn.q_proj.weight');
  });
});
