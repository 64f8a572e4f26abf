import { describe, expect, it } from 'vitest';
import { hubConfig } from './config';
import { HubConfigError } from './errors';

describe('hubConfig', () => {
  it('defaults to huggingface.co, no token, 30 s timeout', () => {
    expect(hubConfig({}, {})).toMatchObject({ hubUrl: 'https://huggingface.co', accessToken: undefined, timeoutMs: 30_000, retries: 5 });
  });

  it('reads HF_ENDPOINT without its trailing slash, HF_TOKEN and the timeout', () => {
    const cfg = hubConfig({}, { HF_ENDPOINT: 'http://127.0.0.1:9999//', HF_TOKEN: ' hf_abc ', HF_HUB_TIMEOUT_MS: '1500', HF_HUB_RETRIES: '0' });
    expect(cfg).toMatchObject({ hubUrl: 'http://127.0.0.1:9999', accessToken: 'hf_abc', timeoutMs: 1500, retries: 0 });
  });

  it('explicit overrides win over the environment, including an explicit "no token"', () => {
    const cfg = hubConfig({ hubUrl: 'http://localhost:1/', accessToken: undefined }, { HF_TOKEN: 'hf_env' });
    expect(cfg.hubUrl).toBe('http://localhost:1');
    expect(cfg.accessToken).toBeUndefined();
  });

  it('rejects tokens the client would reject, without echoing them', () => {
    expect(() => hubConfig({}, { HF_TOKEN: 'secret-token-value' })).toThrow(HubConfigError);
    expect(() => hubConfig({}, { HF_TOKEN: 'secret-token-value' })).toThrow(/must be a Hugging Face access token starting with "hf_"/);
    try {
      hubConfig({}, { HF_TOKEN: 'secret-token-value' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-token');
    }
  });

  it('rejects malformed endpoints and timeouts with the variable name', () => {
    expect(() => hubConfig({}, { HF_ENDPOINT: 'ftp://x' })).toThrow(/HF_ENDPOINT must be an http\(s\) URL/);
    expect(() => hubConfig({}, { HF_ENDPOINT: 'not a url' })).toThrow(/HF_ENDPOINT/);
    expect(() => hubConfig({}, { HF_HUB_TIMEOUT_MS: '-5' })).toThrow(/HF_HUB_TIMEOUT_MS must be a positive integer/);
  });
});
