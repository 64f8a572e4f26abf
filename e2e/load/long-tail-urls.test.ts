import { describe, expect, it } from 'vitest';
import { leaderboardParamsSchema } from '@/db/queries/leaderboard-params';
import { benchModelId } from './seed-bench';
import { leaderboardQueries, longTailTargets, spreadModelIds } from './long-tail-urls';

describe('long-tail bench URLs', () => {
  it('draws 1,000 distinct leaderboard queries, the same for the same seed, each a valid view', () => {
    const a = leaderboardQueries(1000, 7, 1000);
    expect(a).toHaveLength(1000);
    expect(new Set(a).size).toBe(1000);
    expect(leaderboardQueries(1000, 7, 1000)).toEqual(a);
    expect(leaderboardQueries(1000, 8, 1000)).not.toEqual(a);
    for (const q of a) {
      const params = Object.fromEntries(new URLSearchParams(q));
      expect(leaderboardParamsSchema.safeParse(params).success, q).toBe(true);
    }
    // Most parameters absent most of the time: plenty of unfiltered views.
    expect(a.filter((q) => !/family|dtype|status|gated|Params|q=/.test(q)).length).toBeGreaterThan(100);
  });

  it('spreads distinct model ids over all seeded models, shuffled, in seed-bench.ts format', () => {
    const ids = spreadModelIds(1000, 3, 10_000);
    expect(new Set(ids).size).toBe(1000);
    expect(ids).toContain(benchModelId(1, 10_000));
    expect(ids).toContain('bench/model-09991');
    expect(ids.every((id) => /^bench\/model-\d{5}$/.test(id))).toBe(true);
    expect(ids.slice(0, 5)).not.toEqual([...ids].sort().slice(0, 5));
    expect(spreadModelIds(1000, 3, 100)).toHaveLength(100);
    expect(benchModelId(7, 1000)).toBe('bench/model-0007');
    expect(benchModelId(12345, 20_000)).toBe('bench/model-12345');
  });

  it('gives four targets and the 404 floor of 1,000 distinct paths; the floor names no seeded model', () => {
    const targets = longTailTargets(1000);
    expect(targets.map((t) => t.maxP99 === Infinity)).toEqual([false, false, false, false, true]);
    for (const t of targets) {
      expect(t.paths).toHaveLength(1000);
      expect(new Set(t.paths).size).toBe(1000);
    }
    const floor = targets[4];
    expect(floor.status).toBe(404);
    expect(floor.paths.every((p) => /^\/models\/bench\/absent-\d{4}$/.test(p))).toBe(true);
  });
});
