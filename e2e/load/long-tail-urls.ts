import { createRng, type Rng } from '@/lib/spectral/rng';
import { SORT_KEYS } from '@/db/queries/leaderboard-url';
import { benchIdDigits, benchModelId, benchMoeId, MOE_LAYERS } from './seed-bench';

/**
 * The long-tail bench's URLs: deterministic (seeded xoshiro128**), distinct, and spread so that a per-URL cache
 * cannot answer them. Leaderboard queries are random combinations of the view's parameters, most of them absent
 * most of the time so that many queries return rows; model ids are spread over all seeded models and shuffled.
 * Ids follow seed-bench.ts (benchModelId), so every URL names a model that exists.
 */

const FAMILIES = ['llama', 'qwen2', 'mistral', 'falcon', 'gpt2', 'gpt_neox', 'phi3', 'olmo'];
const STATUSES = ['done', 'running', 'failed'];
const MIN_PARAMS = ['1B', '3B', '7B', '13B'];
const MAX_PARAMS = ['7B', '13B', '30B', '70B'];
const SORTS: string[] = [...SORT_KEYS, 'bench:mmlu'];

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.nextBelow(items.length)];
const chance = (rng: Rng, p: number) => rng.nextFloat() < p;

/** `count` distinct items of `items` (count ≤ items.length), in random order. */
function sample<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const order = rng.shuffle(Array.from(items, (_, i) => i));
  return order.slice(0, count).map((i) => items[i]);
}

/** One random leaderboard query string (without `?`; '' is the default view). */
function randomQuery(rng: Rng, models: number): string {
  const p = new URLSearchParams();
  if (chance(rng, 0.3)) p.set('family', sample(rng, FAMILIES, chance(rng, 0.7) ? 1 : 2 + rng.nextBelow(3)).join(','));
  if (chance(rng, 0.15)) p.set('dtype', pick(rng, ['BF16', 'F16']));
  if (chance(rng, 0.15)) p.set('status', sample(rng, STATUSES, 1 + rng.nextBelow(2)).join(','));
  if (chance(rng, 0.1)) p.set('gated', pick(rng, ['true', 'false']));
  const min = chance(rng, 0.15) ? rng.nextBelow(MIN_PARAMS.length) : -1;
  if (min >= 0) p.set('minParams', MIN_PARAMS[min]);
  // A maximum above the minimum, so the range holds models.
  if (chance(rng, 0.15)) p.set('maxParams', MAX_PARAMS[Math.max(min, 0) + rng.nextBelow(MAX_PARAMS.length - Math.max(min, 0))]);
  if (chance(rng, 0.2)) {
    // A prefix of a model's number: `model-01` (a hundred models of 1,000) or `model-012` (ten).
    const digits = benchIdDigits(models);
    const id = benchModelId(1 + rng.nextBelow(models), models);
    p.set('q', id.slice('bench/'.length, id.length - 1 - rng.nextBelow(Math.min(2, digits - 1))));
  }
  if (chance(rng, 0.5)) p.set('sort', pick(rng, SORTS));
  if (chance(rng, 0.3)) p.set('dir', pick(rng, ['asc', 'desc']));
  if (chance(rng, 0.35)) p.set('page', String(1 + rng.nextBelow(5)));
  if (chance(rng, 0.3)) p.set('pageSize', String(pick(rng, [25, 50, 100])));
  return p.toString();
}

/** `count` distinct leaderboard query strings (without `?`), the same for the same seed and model count. */
export function leaderboardQueries(count: number, seed: number, models: number): string[] {
  const rng = createRng(seed);
  const seen = new Set<string>();
  for (let tries = 0; seen.size < count; tries++) {
    if (tries > count * 100) throw new Error(`only ${seen.size} distinct leaderboard queries in ${tries} draws`);
    seen.add(randomQuery(rng, models));
  }
  return [...seen];
}

/** min(count, models) distinct bench model ids, evenly spread over 1…models, in a shuffled order. */
export function spreadModelIds(count: number, seed: number, models: number): string[] {
  const n = Math.min(count, models);
  const numbers = Array.from({ length: n }, (_, i) => 1 + Math.floor((i * models) / n));
  createRng(seed).shuffle(numbers);
  return numbers.map((i) => benchModelId(i, models));
}

export interface LongTailTarget {
  /** Label in the table. */
  name: string;
  /** The distinct paths, walked in turn by all connections together. */
  paths: string[];
  /** Targets: at least this many requests/s (0: none) and a p99 below this many ms (Infinity: a reference row). */
  minReqs: number;
  maxP99: number;
  /** The status every answer must have (default: any 2xx). */
  status?: number;
}

/** The four long-tail targets for a database of `models` bench models, `count` distinct URLs each. */
export function longTailTargets(models: number, count = 1000, seed = 20240601, moeModels = 0): LongTailTarget[] {
  const withQuery = (prefix: string, q: string) => (q ? `${prefix}?${q}` : prefix);
  return [
    { name: '/api/v1/models?<query>', paths: leaderboardQueries(count, seed, models).map((q) => withQuery('/api/v1/models', q)), minReqs: 300, maxP99: 100 },
    { name: '/api/v1/models/{id}/layers', paths: spreadModelIds(count, seed + 1, models).map((id) => `/api/v1/models/${id}/layers`), minReqs: 200, maxP99: 150 },
    { name: '/?<query>', paths: leaderboardQueries(count, seed + 2, models).map((q) => withQuery('/', q)), minReqs: 0, maxP99: 300 },
    { name: '/models/{id}', paths: spreadModelIds(count, seed + 3, models).map((id) => `/models/${id}`), minReqs: 0, maxP99: 300 },
    // Reference, no target: a page of an unknown model (one indexed lookup, then the not-found page in the same layout,
    // behind the same proxy): what Next's render of a near-empty page costs on this machine.
    { name: '/models/{unknown}: floor', paths: spreadModelIds(count, seed + 4, models).map((id) => `/models/${id.replace('/model-', '/absent-')}`), minReqs: 0, maxP99: Infinity, status: 404 },
    ...(moeModels > 0
      ? [{ name: `/models/{MoE, ${MOE_LAYERS} rows}`, paths: Array.from({ length: moeModels }, (_, i) => `/models/${benchMoeId(i + 1)}`), minReqs: 0, maxP99: 300 }]
      : []),
  ];
}
