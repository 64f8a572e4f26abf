import { DEMO, expect, test } from './fixtures';

/** The model-card badge in Chromium: the SVG decodes and draws, and the model page offers its Markdown. */

test.describe('model-card badge', () => {
  test('renders as an image with the mean alpha, and "not analysed yet" for an unknown model', async ({ page, request, baseURL }) => {
    const res = await request.get(`/badge/${DEMO.trained}.svg`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('image/svg+xml');
    expect(res.headers()['cache-control']).toContain('max-age=300');
    const etag = res.headers()['etag'];
    expect(etag).toBeTruthy();
    expect((await request.get(`/badge/${DEMO.trained}.svg`, { headers: { 'if-none-match': etag } })).status()).toBe(304);

    // Opened directly, Chromium parses it as an SVG document with an accessible name.
    await page.goto(`/badge/${DEMO.trained}.svg`);
    const svg = page.locator('svg[role=img]');
    await expect(svg).toHaveAttribute('aria-label', /mean alpha \d+\.\d\d \((healthy|over-fit|under-trained)/);
    await expect(page.locator('svg > title')).toHaveText(/mean alpha/);

    // As an <img> (how a model card shows it), both badges decode and draw, 20 px high.
    await page.goto('/');
    await page.evaluate((srcs) => {
      for (const [id, src] of srcs) {
        const img = document.createElement('img');
        Object.assign(img, { id, src, alt: id });
        document.body.append(img);
      }
    }, [['badge-a', `${baseURL}/badge/${DEMO.trained}.svg`], ['badge-b', `${baseURL}/badge/nobody/unknown-model.svg`]]);
    for (const id of ['badge-a', 'badge-b']) {
      await expect
        .poll(() => page.locator(`#${id}`).evaluate((img: HTMLImageElement) => (img.complete ? [img.naturalWidth > 0, img.naturalHeight] : null)))
        .toEqual([true, 20]);
    }
    const unknown = await (await request.get('/badge/nobody/unknown-model.svg')).text();
    expect(unknown).toContain('not analysed yet');
  });

  test('the model page shows the badge and a copyable Markdown snippet', async ({ modelPage, page, baseURL, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
    await modelPage.goto(DEMO.trained);
    const box = page.getByTestId('badge-snippet');
    await expect(box.getByTestId('badge-markdown')).toHaveText(
      `[![alphaboard mean alpha](${baseURL}/badge/${DEMO.trained}.svg)](${baseURL}/models/${DEMO.trained})`,
    );
    await expect.poll(() => box.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await box.getByRole('button', { name: 'Copy Markdown' }).click();
    await expect(box.getByRole('status')).toHaveText(/Copied\.|Copy failed/);
  });
});
