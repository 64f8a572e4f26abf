/** The part of autocannon's API that the bench uses (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    /** A request as autocannon builds it; setupRequest returns it changed (here: another path). */
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      [key: string]: unknown;
    }
  }
  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
  }
  interface Result {
    requests: Histogram & { total: number };
    statusCodeStats?: Record<string, { count: number }>;
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  function autocannon(options: {
    url: string;
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
    workers?: number;
    requests?: { setupRequest?: (req: autocannon.Request, context: Record<string, unknown>) => autocannon.Request }[];
  }): Promise<Result> & { on(event: 'reqError', listener: (err: Error & { code?: string }) => void): void };
  export default autocannon;
}
