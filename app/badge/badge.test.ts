import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { alphaBand, badgeMarkdown, badgeParts, BADGE_COLOURS, renderBadge, textWidth } from './badge-svg';

vi.mock('server-only', () => ({}));

describe('badge SVG', () => {
  it('colours the value by the alpha band and says when there is nothing yet', () => {
    expect(alphaBand(1.9)).toBe('over-fit');
    expect(alphaBand(2)).toBe('healthy');
    expect(alphaBand(6)).toBe('healthy');
    expect(alphaBand(6.01)).toBe('under-trained');
    expect(badgeParts('a/b', 3.456)).toMatchObject({ message: '3.46 healthy', colour: BADGE_COLOURS.healthy });
    expect(badgeParts('a/b', 1.5)).toMatchObject({ message: '1.50 over-fit', colour: BADGE_COLOURS['over-fit'] });
    expect(badgeParts('a/b', 7)).toMatchObject({ message: '7.00 under-trained', colour: BADGE_COLOURS['under-trained'] });
    for (const none of [null, undefined, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(badgeParts('a/b', none)).toMatchObject({ message: 'not analysed yet', colour: BADGE_COLOURS.none });
    }
  });

  it('is accessible, escapes text, and grows with its text', () => {
    const svg = renderBadge(badgeParts('a/<b>', 3));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="20"/);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="a/&lt;b&gt;: mean alpha 3.00 (healthy; 2 to 6 is healthy) on alphaboard"');
    expect(svg).toContain('<title>a/&lt;b&gt;: mean alpha 3.00');
    expect(svg).not.toContain('<b>');
    const width = (s: string) => Number(/width="(\d+)"/.exec(s)![1]);
    expect(width(renderBadge(badgeParts('a/b', null)))).toBeGreaterThan(width(svg));
    expect(textWidth('mmm')).toBeGreaterThan(textWidth('iii'));
  });

  it('gives the Markdown snippet for a model card', () => {
    expect(badgeMarkdown('https://board.example/', 'Qwen/Qwen2.5-0.5B')).toBe(
      '[![alphaboard mean alpha](https://board.example/badge/Qwen/Qwen2.5-0.5B.svg)](https://board.example/models/Qwen/Qwen2.5-0.5B)',
    );
  });
});

describe('GET /badge/{owner}/{name}.svg', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-badge-'));
  let GET: typeof import('./[owner]/[name]/route').GET;
  let closeDb: () => Promise<void>;

  beforeAll(async () => {
    process.env.DATA_DIR = path.join(dir, 'pglite');
    process.env.READ_CACHE_TTL_MS = '0';
    delete process.env.DATABASE_URL;
    ({ closeDb } = await import('@/db/client'));
    const { seedSampleBoard } = await import('@/db/queries/testing/sample-data');
    await seedSampleBoard();
    ({ GET } = await import('./[owner]/[name]/route'));
  });
  afterAll(async () => {
    await closeDb();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (owner: string, name: string, headers: Record<string, string> = {}) =>
    GET(new Request(`http://localhost/badge/${owner}/${name}`, { headers }), { params: Promise.resolve({ owner, name }) });

  it('shows an analysed model\'s mean alpha with caching headers and answers 304 to its ETag', async () => {
    const res = await get('sample', 'llama-mini.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers.get('cache-control')).toMatch(/public, max-age=300/);
    const svg = await res.text();
    expect(svg).toMatch(/mean alpha \d\.\d\d \((healthy|over-fit|under-trained)/);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('sample', 'llama-mini.svg', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('says "not analysed yet" for a running, a failed and an unknown model', async () => {
    for (const name of ['running-model.svg', 'gated-model.svg', 'nobody-knows.svg']) {
      const res = await get('sample', name);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('not analysed yet');
    }
  });

  it('needs the .svg suffix and a valid id', async () => {
    expect((await get('sample', 'llama-mini')).status).toBe(404);
    expect((await get('bad owner', 'x.svg')).status).toBe(404);
  });
});
