import { z } from 'zod';
import { DEMO, DEMO_MODEL_COUNT, expect, test } from './fixtures';

/** The running server's API against its own OpenAPI document. */

test('API responses agree with /api/v1/openapi.json', async ({ request }) => {
  const doc = await (await request.get('/api/v1/openapi.json')).json();
  expect(doc.openapi).toBe('3.1.0');
  const check = async (url: string, template: string, status = 200, method = 'get', init?: Parameters<typeof request.fetch>[1]) => {
    const res = await request.fetch(url, { method, ...init });
    expect(res.status(), url).toBe(status);
    const body = await res.json();
    let schema = doc.paths[template][method].responses[status].content['application/json'].schema;
    if (schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()];
    const result = z.fromJSONSchema(schema).safeParse(body);
    expect(result.success, `${url}: ${result.success ? '' : JSON.stringify(result.error.issues.slice(0, 3))}`).toBe(true);
    return { res, body };
  };
  const list = await check('/api/v1/models?pageSize=3', '/api/v1/models');
  expect(list.body.total).toBe(DEMO_MODEL_COUNT);
  expect(list.body.models).toHaveLength(3);
  await check(`/api/v1/models/${DEMO.falcon}`, '/api/v1/models/{owner}/{name}');
  const layers = await check(`/api/v1/models/${DEMO.falcon}/layers`, '/api/v1/models/{owner}/{name}/layers');
  const fused = layers.body.layers.find((l: { fused: boolean; status: string }) => l.fused && l.status === 'success');
  expect(fused.role).toBe('qkv');
  const esd = await check(`/api/v1/models/${DEMO.falcon}/layers/${fused.name}/esd`, '/api/v1/models/{owner}/{name}/layers/{layer}/esd');
  expect(esd.body.esd.fit.alpha).toBeCloseTo(fused.alpha, 10);
  await check(`/api/v1/compare?a=${DEMO.trained}&b=${DEMO.gpt2}`, '/api/v1/compare');
  await check('/api/v1/search?q=mini', '/api/v1/search');
  const analyses = await check('/api/v1/analyses', '/api/v1/analyses');
  // one analysis per model, plus three more refs of the checkpoint series, the delta analyses of the four fine-tunes
  // of demo/llama-mini-trained and the adapter analysis of demo/llama-mini-lora (not a leaderboard row by default)
  expect(analyses.body.analyses.length).toBe(DEMO_MODEL_COUNT + 3 + 4 + 1);
  await check('/api/v1/models?sort=nope', '/api/v1/models', 400);
  await check('/api/v1/models/nobody/nothing', '/api/v1/models/{owner}/{name}', 404);
  await check('/api/v1/compare?a=demo/x', '/api/v1/compare', 400);
  await check('/api/v1/analyses', '/api/v1/analyses', 401, 'post', { data: { repo: 'demo/x' } });
  await check('/api/v1/analyses', '/api/v1/analyses', 401, 'post', { data: { repo: 'demo/x' }, headers: { authorization: 'Bearer wrong' } });
  await check('/api/v1/analyses', '/api/v1/analyses', 400, 'post', { data: { repo: 'not a repo' }, headers: { authorization: 'Bearer e2e-admin-token' } });
});

test('reads carry ETag and Cache-Control and answer 304 to If-None-Match', async ({ request }) => {
  const first = await request.get(`/api/v1/models/${DEMO.trained}/layers`);
  const etag = first.headers()['etag'];
  expect(etag).toBeTruthy();
  expect(first.headers()['cache-control']).toContain('max-age');
  const again = await request.get(`/api/v1/models/${DEMO.trained}/layers`, { headers: { 'if-none-match': etag } });
  expect(again.status()).toBe(304);
});

test('errors never leak internals', async ({ request }) => {
  const res = await request.get('/api/v1/models/demo/llama-mini-trained/layers/bad%24name/esd');
  expect(res.status()).toBe(400);
  const body = await res.json();
  expect(body.error.code).toBe('bad_request:api');
  expect(body.error.message).toContain('layer');
  expect(JSON.stringify(body)).not.toMatch(/select|postgres|pglite|stack/i);
});
