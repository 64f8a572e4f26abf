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
  /** Uniform integer in [0, bound) for 1 ≤ bound ≤ 2^32, exactly (bitmask rejection, no modulo bias). */
  nextBelow(bound: number): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Fisher–Yates shuffle of a numeric array in place (see `shuffleInPlace`). */
  shuffle<T extends NumericArray>(a: T): T;
}

type NumericArray = { length: number; [i: number]: number };

/** SplitMix32 step (used only to expand a seed into the xoshiro state). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** with its state in four 32-bit fields. */
class Xoshiro128ss implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.s0 = a >>> 0;
    this.s1 = b >>> 0;
    this.s2 = c >>> 0;
    this.s3 = d >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
  }

  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const s2 = this.s2 ^ this.s0;
    const s3 = this.s3 ^ s1;
    this.s1 = (s1 ^ s2) >>> 0;
    this.s0 = (this.s0 ^ s3) >>> 0;
    this.s2 = (s2 ^ t) >>> 0;
    this.s3 = ((s3 << 11) | (s3 >>> 21)) >>> 0;
    return result;
  }

  nextBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 0x100000000) {
      throw new RangeError(`rng bound must be an integer in [1, 2^32], got ${bound}`);
    }
    if (bound === 0x100000000) return this.nextUint32();
    // Bitmask rejection: draw ⌈log2 bound⌉ bits until the value is below bound (exactly uniform, < 2 draws on
    // average, no division).
    const mask = bound === 1 ? 0 : 0xffffffff >>> Math.clz32(bound - 1);
    for (;;) {
      const x = (this.nextUint32() & mask) >>> 0;
      if (x < bound) return x;
    }
  }

  nextFloat(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Fisher–Yates (Durstenfeld) from the top: for i = n−1 … 1 swap a[i] with a[j], j uniform in [0, i] (the same
   * draws as calling nextBelow(i + 1) each step). The generator runs in local variables inside the loop: on a
   * 4096 × 11008 matrix the shuffle is bound by random memory access, not by call overhead.
   */
  shuffle<T extends NumericArray>(a: T): T {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = a.length - 1; i > 0; i--) {
      const bound = i + 1;
      const mask = 0xffffffff >>> Math.clz32(bound - 1);
      let j: number;
      for (;;) {
        const x5 = Math.imul(s1, 5);
        const r = Math.imul((x5 << 7) | (x5 >>> 25), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        j = (r & mask) >>> 0;
        if (j < bound) break;
      }
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    return a;
  }
}

/**
 * Creates an xoshiro128** generator. `seed` may be any finite number: it is reduced to 32 bits (integers
 * 0 … 2^32−1 map to distinct streams; other values are truncated toward zero first).
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
  const init = { s: Math.trunc(seed) >>> 0 };
  return new Xoshiro128ss(splitmix32(init), splitmix32(init), splitmix32(init), splitmix32(init));
}

/** xoshiro128** from an explicit 128-bit state (four 32-bit words, not all zero). */
export function xoshiro128ss(a: number, b: number, c: number, d: number): Rng {
  return new Xoshiro128ss(a, b, c, d);
}

/**
 * Fisher–Yates (Durstenfeld) in-place shuffle: every permutation equally likely given a uniform `nextBelow`.
 * O(n), one random draw (on average < 2 generator steps) per element.
 */
export function shuffleInPlace<T extends NumericArray>(a: T, rng: Rng): T {
  return rng.shuffle(a);
}

/**
 * mulberry32: a tiny 32-bit generator of doubles in [0, 1) for test data, synthetic checkpoints and fault schedules,
 * where a short, fast, reproducible stream matters more than statistical quality (use `createRng` for randomize).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
