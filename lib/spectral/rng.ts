/**
 * A small, fast, seedable PRNG for reproducible randomisation (`randomize` option): xoshiro128** (Blackman &
 * Vigna, 2018; 128-bit state, period 2^128 − 1, passes BigCrush), seeded through SplitMix32 so that any 32-bit
 * seed — including 0 — gives a well-mixed non-zero state. Pure 32-bit integer arithmetic (`Math.imul`, `>>> 0`),
 * so every JavaScript engine produces the same stream for the same seed.
 *
 * WeightWatcher itself shuffles with numpy's global, unseeded Mersenne Twister; that stream cannot be reproduced
 * outside numpy, so randomized columns are compared with WeightWatcher statistically, not bit for bit.
 */

/** Seedable generator of uniform 32-bit integers, integers in a range and doubles in [0, 1). */
export interface Rng {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform integer in [0, bound) for 1 ≤ bound ≤ 2^32, without modulo bias (rejection of the last partial block). */
  nextBelow(bound: number): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
}

/** SplitMix32 step (used only to expand a seed into the xoshiro state). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Creates an xoshiro128** generator. `seed` may be any finite number: it is reduced to 32 bits (integers
 * 0 … 2^32−1 map to distinct streams; other values are truncated toward zero first).
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
  const init = { s: Math.trunc(seed) >>> 0 };
  return xoshiro128ss(splitmix32(init), splitmix32(init), splitmix32(init), splitmix32(init));
}

/** xoshiro128** from an explicit 128-bit state (four 32-bit words, not all zero). */
export function xoshiro128ss(a: number, b: number, c: number, d: number): Rng {
  let s0 = a >>> 0;
  let s1 = b >>> 0;
  let s2 = c >>> 0;
  let s3 = d >>> 0;
  if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };

  const nextBelow = (bound: number): number => {
    if (!Number.isInteger(bound) || bound < 1 || bound > 0x100000000) {
      throw new RangeError(`rng bound must be an integer in [1, 2^32], got ${bound}`);
    }
    if (bound === 0x100000000) return nextUint32();
    // Reject the top partial block of [0, 2^32) so that x % bound is exactly uniform.
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % bound;
    }
  };

  const nextFloat = (): number => {
    const a = nextUint32() >>> 5; // 27 bits
    const b = nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  };

  return { nextUint32, nextBelow, nextFloat };
}

/**
 * Fisher–Yates (Durstenfeld) in-place shuffle: every permutation equally likely given a uniform `nextBelow`.
 * O(n), one random draw per element.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}
