import { WAITING_TO_RESUME_NOTE } from '@/app/_components/Progress';
import { alphaClass, date, fmt, hubUrl, params as fmtParams, pct } from '@/app/_components/format';
import type { LeaderboardTableRow } from './leaderboard-table-rows';

/**
 * The leaderboard table's body rows as HTML, written here rather than rendered by React: 50 rows of 20-odd cells are
 * ~1,500 elements, which React serialises into the page's component payload, parses back and renders to HTML on
 * every request (~0.1 ms of one core per row); this string is built once per snapshot row and joined. It is exactly
 * the markup LeaderboardTable's columns render for the same row (leaderboard-rows-html.test.ts compares the two on
 * thousands of rows, hostile text included), every text and attribute escaped as React escapes it.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

/** Text or attribute value escaped as React does (escapeTextForBrowser). */
export function esc(v: string | number): string {
  const s = String(v);
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c]) : s;
}

function statusCell(r: LeaderboardTableRow): string {
  const status = r.status;
  if (!status) return '<span class="badge">not analysed</span>';
  const done = r.progress?.layersDone;
  const total = r.progress?.layersTotal;
  const share = total ? Math.min(1, (done ?? 0) / total) : 0;
  if (status === 'running' && r.progress?.waitingToResume) {
    return `<span class="cell-line" title="${esc(WAITING_TO_RESUME_NOTE)}" data-testid="waiting-to-resume"><span class="badge stalled">waiting to resume</span><span class="small muted">${esc(done ?? 0)}/${esc(total ?? '?')} stored</span></span>`;
  }
  let out = `<span class="cell-line"${r.error != null ? ` title="${esc(r.error)}"` : ''}><span class="badge ${esc(status)}">${esc(status)}</span>`;
  if (status === 'queued' && (done ?? 0) > 0) out += `<span class="small muted">${esc(done!)}/${esc(total ?? '?')} stored</span>`;
  if (status === 'running') {
    out += `<span class="progress" role="progressbar" aria-label="analysis progress" aria-valuemin="0" aria-valuemax="${esc(total ?? 0)}" aria-valuenow="${esc(done ?? 0)}" data-testid="progress"><span style="width:${(share * 100).toFixed(1)}%"></span></span><span class="small muted">${esc(done ?? 0)}/${esc(total ?? '?')}</span>`;
  }
  return `${out}</span>`;
}

const td = (html: string) => `<td>${html}</td>`;
const num = (html: string) => `<td class="num">${html}</td>`;
const alphaSpan = (v: number | null | undefined) => `<span class="${alphaClass(v)}">${esc(fmt(v))}</span>`;

function rowHtml(r: LeaderboardTableRow, hub: string, benchmarks: readonly string[]): string {
  const s = r.summary;
  const id = esc(r.id);
  let model = `<span class="cell-line tight"><a href="/models/${id}" data-testid="model-link">${id}</a><a href="${esc(hubUrl(hub, r.id))}" target="_blank" rel="noreferrer" aria-label="${id} on the Hugging Face Hub" title="Open on the Hub">↗</a>`;
  if (r.type !== 'model') model += `<span class="badge" data-testid="type-badge">${esc(r.type)}</span>`;
  if (r.gated) model += '<span class="badge gated">gated</span>';
  if (r.synthetic) model += '<span class="badge synthetic">synthetic</span>';
  model += '</span>';
  const rev = r.revision ? `<span class="small" title="${esc(r.revision.sha)}"><code>${esc(r.revision.sha.slice(0, 7))}</code> ${r.revision.ref !== 'main' ? esc(r.revision.ref) : ''}</span>` : '—';
  const cells = [
    td(model),
    td(statusCell(r)),
    td(esc(r.family ?? '—')),
    td(esc(r.architecture ?? '—')),
    num(esc(fmtParams(r.parameterCount))),
    td(esc(r.dtype ?? '—')),
    td(esc(r.license ?? '—')),
    td(r.gated ? '<span class="badge gated">gated</span>' : '<span class="muted small">open</span>'),
    num(esc(s?.layers_analyzed ?? '—')),
    num(alphaSpan(s?.alpha)),
    num(alphaSpan(s?.median_alpha)),
    num(esc(fmt(s?.alpha_weighted))),
    num(esc(fmt(s?.log_alpha_norm))),
    num(esc(fmt(s?.log_spectral_norm))),
    num(esc(fmt(s?.mean_D))),
    num(esc(pct(s?.share_alpha_lt_2))),
    num(esc(pct(s?.share_alpha_gt_6))),
    num(esc(s?.correlation_traps ?? '—')),
    td(rev),
    td(esc(date(r.analysedAt))),
    ...benchmarks.map((b) => num(esc(fmt(r.benchmarks[b], 1)))),
  ];
  return `<tr data-testid="leaderboard-row" data-model="${id}">${cells.join('')}</tr>`;
}

/** Per compact row: its HTML for one (hub, benchmark columns) setting, the last one asked. */
const cache = new WeakMap<LeaderboardTableRow, { key: string; html: string }>();

/** LeaderboardTable's fixed columns (model … analysed), before one per benchmark. */
const FIXED_COLUMNS = 20;

/** The table body's rows (or its "no models" line) as LeaderboardTable renders them. */
export function leaderboardRowsHtml(rows: readonly LeaderboardTableRow[], hub: string, benchmarks: readonly string[], emptyText: string): string {
  if (rows.length === 0) return `<tr><td colSpan="${FIXED_COLUMNS + benchmarks.length}" class="empty">${esc(emptyText)}</td></tr>`;
  const key = `${hub}\u0000${benchmarks.join('\u0000')}`;
  let out = '';
  for (const r of rows) {
    let c = cache.get(r);
    if (!c || c.key !== key) cache.set(r, (c = { key, html: rowHtml(r, hub, benchmarks) }));
    out += c.html;
  }
  return out;
}
