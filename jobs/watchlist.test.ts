import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configuredWatchlist, DEFAULT_WATCHLIST, mergeWatchlists, parseRepoSpec, refsOf } from './watchlist';

describe('watchlist', () => {
  it('the default list holds small real open models, with a Pythia training series', () => {
    const ids = DEFAULT_WATCHLIST.map((w) => w.repoId);
    for (const id of ['openai-community/gpt2', 'EleutherAI/pythia-160m', 'HuggingFaceTB/SmolLM2-135M', 'Qwen/Qwen2.5-0.5B', 'TinyLlama/TinyLlama-1.1B-Chat-v1.0', 'tiiuae/falcon-rw-1b']) {
      expect(ids).toContain(id);
    }
    const pythia = DEFAULT_WATCHLIST.find((w) => w.repoId === 'EleutherAI/pythia-160m')!;
    expect(refsOf(pythia).filter((r) => r.startsWith('step')).length).toBeGreaterThanOrEqual(3);
    expect(refsOf({ repoId: 'a/b' })).toEqual(['main']);
  });

  it('reads a watchlist file and rejects a malformed one naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-wl-'));
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify(['demo/a', { repoId: 'demo/b', revisions: ['step1'] }]));
    expect(configuredWatchlist(good)).toEqual([{ repoId: 'demo/a' }, { repoId: 'demo/b', revisions: ['step1'] }]);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify(['no slash']));
    expect(() => configuredWatchlist(bad)).toThrow(`WATCHLIST file ${bad} is not a list of repo ids`);
    expect(() => configuredWatchlist(path.join(dir, 'missing.json'))).toThrow(/cannot be read as JSON/);
    expect(configuredWatchlist('none')).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('merges lists by repo, uniting revisions in first-seen order', () => {
    expect(
      mergeWatchlists([{ repoId: 'a/x' }, { repoId: 'b/y', revisions: ['s1'] }], [{ repoId: 'b/y', revisions: ['s2', 's1'] }]),
    ).toEqual([{ repoId: 'a/x' }, { repoId: 'b/y', revisions: ['s1', 's2'] }]);
  });

  it('parses owner/name[@revision] and names what is wrong', () => {
    expect(parseRepoSpec('EleutherAI/pythia-160m@step1000')).toEqual({ repoId: 'EleutherAI/pythia-160m', revision: 'step1000' });
    expect(parseRepoSpec('gpt2/x')).toEqual({ repoId: 'gpt2/x' });
    for (const bad of ['gpt2', 'a/b@', 'a/b@c@d', '../x']) expect(() => parseRepoSpec(bad)).toThrow(`"${bad}" is not a repo id`);
  });
});
