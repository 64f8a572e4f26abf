import { createHash } from 'node:crypto';

/**
 * Shields-style SVG badge for a model card: "alphaboard α | 3.42 healthy", the value coloured by the alpha band
 * used across the board (2–6 healthy, < 2 over-fit, > 6 under-trained; the same colours as the pages), grey when
 * there is nothing to show yet. Text widths are estimated from Verdana 11px advance widths and pinned with
 * `textLength`, so every renderer draws the text at the computed width.
 */

export const BADGE_COLOURS = {
  healthy: '#237a36',
  'over-fit': '#c92a2a',
  'under-trained': '#a65300',
  none: '#6c757d',
  label: '#444d56',
} as const;

export type AlphaBand = 'healthy' | 'over-fit' | 'under-trained';

export function alphaBand(alpha: number): AlphaBand {
  return alpha < 2 ? 'over-fit' : alpha > 6 ? 'under-trained' : 'healthy';
}

// Approximate advance widths of Verdana at 11px (the shields.io face), per character class.
const NARROW = new Set([...'ijlI.,:;!|\'']);
const SEMI = new Set([...'frt()[] -/·']);
const WIDE = new Set([...'mwMW%@']);
const UPPER = /[A-Z]/;

export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) w += 3.4;
    else if (SEMI.has(ch)) w += 4.6;
    else if (WIDE.has(ch)) w += 10.4;
    else if (UPPER.test(ch)) w += 7.6;
    else w += 7.0;
  }
  return Math.round(w * 10) / 10;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface BadgeParts {
  label: string;
  message: string;
  colour: string;
  /** Read-out for assistive technology and the <title> tooltip. */
  description: string;
}

/** What the badge says for a model: its shown analysis' mean alpha, or "not analysed yet". */
export function badgeParts(modelId: string, alpha: number | null | undefined): BadgeParts {
  const label = 'alphaboard α';
  if (alpha == null || !Number.isFinite(alpha)) {
    return { label, message: 'not analysed yet', colour: BADGE_COLOURS.none, description: `${modelId}: not analysed yet on alphaboard` };
  }
  const band = alphaBand(alpha);
  const value = alpha.toFixed(2);
  return {
    label,
    message: `${value} ${band}`,
    colour: BADGE_COLOURS[band],
    description: `${modelId}: mean alpha ${value} (${band}; 2 to 6 is healthy) on alphaboard`,
  };
}

const PAD = 6;
const HEIGHT = 20;

export function renderBadge(parts: BadgeParts): string {
  const lw = Math.round(textWidth(parts.label) + 2 * PAD);
  const mw = Math.round(textWidth(parts.message) + 2 * PAD);
  const w = lw + mw;
  const text = (x: number, s: string, width: number) => {
    // 10x scale as shields does, for sub-pixel placement; shadow first, then the text.
    const len = Math.round((width - 2 * PAD) * 10);
    return (
      `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${len}">${esc(s)}</text>` +
      `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${len}">${esc(s)}</text>`
    );
  };
  const desc = esc(parts.description);
  // Ids unique to the content, so several badges inlined in one page do not borrow each other's clip and gradient.
  const uid = createHash('sha1').update(`${parts.label}|${parts.message}|${parts.colour}`).digest('hex').slice(0, 8);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${HEIGHT}" viewBox="0 0 ${w} ${HEIGHT}" role="img" aria-label="${desc}">` +
    `<title>${desc}</title>` +
    `<linearGradient id="s${uid}" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r${uid}"><rect width="${w}" height="${HEIGHT}" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r${uid})"><rect width="${lw}" height="${HEIGHT}" fill="${BADGE_COLOURS.label}"/>` +
    `<rect x="${lw}" width="${mw}" height="${HEIGHT}" fill="${parts.colour}"/>` +
    `<rect width="${w}" height="${HEIGHT}" fill="url(#s${uid})"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(lw / 2, parts.label, lw) +
    text(lw + mw / 2, parts.message, mw) +
    `</g></svg>`
  );
}

/** The Markdown a model card embeds: the badge linking to the model's page. */
export function badgeMarkdown(origin: string, modelId: string): string {
  const base = origin.replace(/\/+$/, '');
  return `[![alphaboard mean alpha](${base}/badge/${modelId}.svg)](${base}/models/${modelId})`;
}
