import { expect, test, type APIResponse } from '@playwright/test';

/**
 * Security headers, the nonce Content-Security-Policy, and the abuse limits, against the production build.
 * Runs last (alphabetically): the flood at the end spends this client's API budget, then waits for it to refill.
 */

const DEMO_MODEL = 'demo/llama-mini-trained';

test('pages carry a fresh nonce CSP and the security headers; API answers a locked-down CSP', async ({ request }) => {
  const a = await request.get('/');
  const b = await request.get('/');
  const csp = a.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).not.toMatch(/'unsafe-eval'/);
  const nonce = csp.match(/'nonce-([^']+)'/)![1];
  expect(b.headers()['content-security-policy']).not.toContain(nonce);
  // Next put the nonce on its own scripts.
  const html = await a.text();
  expect(html).toContain(`nonce="${nonce}"`);
  for (const res of [a, await request.get('/api/v1/models'), await request.get(`/api/v1/models/${DEMO_MODEL}`)]) {
    const h = res.headers();
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['permissions-policy']).toContain('camera=()');
    expect(h['content-security-policy']).toBeTruthy();
  }
  expect((await request.get('/api/v1/models')).headers()['content-security-policy']).toContain("default-src 'none'");
});

test('the pages run under the CSP without violations, and an injected inline script is refused', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto('/');
  await expect(page.getByRole('table').first()).toBeVisible();
  await page.goto(`/models/${DEMO_MODEL}`);
  await expect(page.locator('.recharts-surface').first()).toBeVisible();
  await page.goto(`/compare?a=${DEMO_MODEL}&b=demo/llama-mini-random`);
  await expect(page.locator('.recharts-surface').first()).toBeVisible();
  // Client navigation (hydrated React) still works.
  await page.locator('a.brand').click();
  await expect(page).toHaveURL(/\/$/);
  expect(violations, violations.join('\n')).toEqual([]);

  await page.evaluate(() => {
    (window as any).__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => (window as any).__violations.push(e.violatedDirective));
  });
  // An inline <script> (as an XSS would inject it) and an inline event handler: neither runs.
  await page.addScriptTag({ content: 'window.__injected = "ran";' }).catch(() => {});
  await page.evaluate(() => {
    const div = document.createElement('div');
    div.innerHTML = '<img src="data:," onerror="window.__handler = \'ran\'">';
    document.body.append(div);
  });
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as any).__injected)).toBeUndefined();
  expect(await page.evaluate(() => (window as any).__handler)).toBeUndefined();
  const directives: string[] = await page.evaluate(() => (window as any).__violations);
  expect(directives.some((d) => d.startsWith('script-src'))).toBe(true);
});

test('write routes refuse oversized bodies (413) before reading them', async ({ request }) => {
  const res = await request.post('/api/v1/analyses', {
    headers: { authorization: 'Bearer e2e-admin-token', 'content-type': 'application/json' },
    data: JSON.stringify({ repo: 'a/b', pad: 'x'.repeat(200_000) }),
  });
  expect(res.status()).toBe(413);
  const body = await res.json();
  expect(body.error.code).toBe('payload_too_large:api');
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js)|select /i);
});

test('operator endpoints: liveness, readiness, Prometheus metrics', async ({ request }) => {
  const health = await request.get('/api/health');
  expect(health.status()).toBe(200);
  expect((await health.json()).status).toBe('ok');
  const ready = await request.get('/api/ready');
  const body = await ready.json();
  expect(ready.status(), JSON.stringify(body)).toBe(200);
  expect(body).toMatchObject({ ready: true, checks: { database: { ok: true }, migrations: { ok: true }, queue: { ok: true } } });
  // The e2e server points HF_ENDPOINT at a closed port: reported, not failing readiness.
  expect(body.hub.reachable).toBe(false);
  const metrics = await request.get('/metrics');
  expect(metrics.headers()['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await metrics.text();
  expect(text).toMatch(/^alphaboard_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/models".*\} \d+$/m);
  expect(text).toMatch(/^alphaboard_analyses\{status="done"\} [1-9]\d*$/m);
  expect(text).toMatch(/^alphaboard_database_up 1$/m);
});

test('a flood past the API budget gets 429 with Retry-After and a JSON error; the budget refills', async ({ request }) => {
  const statuses: number[] = [];
  const limitedResponses: APIResponse[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 30; i++) {
        const res = await request.get('/api/v1/search?q=llama');
        statuses.push(res.status());
        if (res.status() === 429) limitedResponses.push(res);
      }
    }),
  );
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  const res = limitedResponses[0];
  expect(Number(res.headers()['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.headers()['content-type']).toContain('application/json');
  const body = await res.json();
  expect(body.error.code).toBe('too_many_requests:api');
  expect(body.error.message).toMatch(/retry after \d+ s/);
  // Operator endpoints are never limited.
  expect((await request.get('/api/health')).status()).toBe(200);
  // At 20 tokens/s the burst of 100 is back within 5 s.
  await new Promise((r) => setTimeout(r, 5500));
  expect((await request.get('/api/v1/search?q=llama')).status()).toBe(200);
});
