/**
 * Fault injection for the stand-in Hub: seeded, so a test that makes the same requests in the same order sees the
 * same faults, and countable, so a test can print "injected vs outcome".
 *
 * Two ways to ask for faults, combinable and changeable while the server runs (`setFaults`):
 * - rates: each matching request draws from a seeded PRNG and gets the first fault whose rate it falls under;
 * - `next`: a queue of exact faults for the next matching requests (deterministic, for one-fault tests).
 */

import { seededRandom } from '@/lib/spectral/rng';

export type FaultKind =
  /** 500 Internal Server Error with a JSON body. */
  | 'server_error'
  /** 429 Too Many Requests with `Retry-After: <retryAfterSeconds>`. */
  | 'rate_limited'
  /** Headers promise the full body (Content-Length), part of it is sent, then the socket is destroyed. */
  | 'drop_connection'
  /** A well-framed 206 whose body is shorter than the range asked for (Content-Range still claims all of it). */
  | 'short_body'
  /** The response starts `slowMs` late (beyond a client's timeout). */
  | 'slow';

export const FAULT_KINDS: readonly FaultKind[] = ['server_error', 'rate_limited', 'drop_connection', 'short_body', 'slow'];

export interface FaultConfig {
  /** PRNG seed for the rates (default 1). Changing it restarts the sequence. */
  seed?: number;
  /** Which requests rates and `next` apply to: range reads of files (default), or every request. */
  scope?: 'ranges' | 'all';
  /** Probability per matching request of each fault. */
  rates?: Partial<Record<FaultKind, number>>;
  /** Exact faults for the next matching requests, consumed in order. */
  next?: FaultKind[];
  /** Retry-After value sent with 429s: seconds, or an HTTP date when a string (default 1). */
  retryAfter?: number | string;
  /** Delay of `slow` responses in ms (default 2000). */
  slowMs?: number;
  /** Extra latency added to every response, in ms (default 0). */
  latencyMs?: number;
  /**
   * Repos whose safetensors files are served with a first 8 bytes that declare a header longer than the file
   * (a hostile or corrupt upload).
   */
  oversizedHeaderRepos?: string[];
  /** Repos to treat as gated (`manual`) regardless of their manifest. */
  gatedRepos?: string[];
}

export interface FaultStats {
  requests: number;
  rangeRequests: number;
  bytesSent: number;
  /** Faults injected, by kind, plus `gated` (401/403 answers) and `oversized_header` (files served corrupted). */
  injected: Record<FaultKind | 'gated' | 'oversized_header', number>;
}


export class FaultInjector {
  private config: FaultConfig = {};
  private random = seededRandom(1);
  private queue: FaultKind[] = [];
  /** Injected faults by kind; the server shares this object with its stats. */
  injected: FaultStats['injected'] = FaultInjector.emptyStats().injected;

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  static emptyStats(): FaultStats {
    return {
      requests: 0,
      rangeRequests: 0,
      bytesSent: 0,
      injected: { server_error: 0, rate_limited: 0, drop_connection: 0, short_body: 0, slow: 0, gated: 0, oversized_header: 0 },
    };
  }

  /** Replaces the fault configuration (the seed restarts the PRNG; `next` replaces the queue). */
  set(config: FaultConfig): void {
    for (const [kind, rate] of Object.entries(config.rates ?? {})) {
      if (!FAULT_KINDS.includes(kind as FaultKind) || !(rate >= 0 && rate <= 1)) {
        throw new Error(`invalid fault rate ${kind}=${rate}: expected a known kind and a probability in [0, 1]`);
      }
    }
    this.config = { ...config };
    this.random = seededRandom(config.seed ?? 1);
    this.queue = [...(config.next ?? [])];
  }

  get current(): Readonly<FaultConfig> {
    return this.config;
  }

  /** Chooses the fault (or none) for one request; counts it. */
  pick(isRange: boolean): FaultKind | null {
    if ((this.config.scope ?? 'ranges') === 'ranges' && !isRange) return null;
    const queued = this.queue.shift();
    if (queued) return this.count(queued);
    const rates = this.config.rates;
    if (!rates) return null;
    const draw = this.random();
    let acc = 0;
    for (const kind of FAULT_KINDS) {
      acc += rates[kind] ?? 0;
      if (draw < acc) return this.count(kind);
    }
    return null;
  }

  private count(kind: FaultKind): FaultKind {
    this.injected[kind] += 1;
    return kind;
  }

  isGated(repoId: string): boolean {
    return this.config.gatedRepos?.includes(repoId) ?? false;
  }

  hasOversizedHeader(repoId: string): boolean {
    return this.config.oversizedHeaderRepos?.includes(repoId) ?? false;
  }
}
