/**
 * Model-card (README.md) front matter, as the Hub turns it into `cardData`.
 *
 * Only the YAML subset model cards use for the fields the stand-in serves is understood: `key: scalar`,
 * `key: [a, b]` and block lists (`key:` followed by `- item` lines). Anything else is ignored rather than
 * guessed at, so a richer card still serves its simple fields.
 */

export type CardValue = string | number | boolean | null | CardValue[];
export type CardData = Record<string, CardValue>;

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

function parseScalar(raw: string): CardValue {
  const text = raw.trim();
  if (text === '' || text === '~' || text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if ((text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'"))) {
    return text.slice(1, -1);
  }
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((part) => parseScalar(part));
  }
  return text;
}

/** Parses the front matter of a model card; a card without one gives `{}`. */
export function parseCardData(markdown: string): CardData {
  const match = FRONT_MATTER.exec(markdown);
  if (!match) return {};
  const data: CardData = {};
  let listKey: string | null = null;
  for (const line of match[1].split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const item = /^\s+-\s+(.*)$/.exec(line) ?? /^-\s+(.*)$/.exec(line);
    if (item && listKey) {
      (data[listKey] as CardValue[]).push(parseScalar(item[1]));
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+):(.*)$/.exec(line);
    if (!pair) {
      listKey = null;
      continue;
    }
    const [, key, rest] = pair;
    if (rest.trim() === '') {
      data[key] = [];
      listKey = key;
    } else {
      data[key] = parseScalar(rest);
      listKey = null;
    }
  }
  return data;
}

function formatScalar(value: CardValue): string {
  if (typeof value === 'string') return /^[\w./-]+$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

/** Writes a model card: front matter from `data`, then the markdown body. */
export function formatModelCard(data: CardData, body: string): string {
  const lines = ['---'];
  for (const [key, value] of Object.entries(data)) {
    if (Array.isArray(value)) {
      lines.push(`${key}:`);
      for (const item of value) lines.push(`- ${formatScalar(item)}`);
    } else {
      lines.push(`${key}: ${formatScalar(value)}`);
    }
  }
  lines.push('---', '', body.trim(), '');
  return lines.join('\n');
}
