/**
 * Whether the Hugging Face Hub (HF_ENDPOINT) answered when this process last checked. Set by the embedded
 * worker at start and by each discovery run; read by the web (a banner saying results are stored, not live).
 * Process-local by design: in embedded mode the web and the worker are one process; a web-only process probes
 * on its own at start (instrumentation).
 */

export interface HubStatus {
  /** null until the first check finished. */
  reachable: boolean | null;
  endpoint: string;
  checkedAt: string | null;
  /** Plain-language sentence for the page and the log when unreachable. */
  message: string | null;
}

const KEY = Symbol.for('alphaboard.hubStatus');
const g = globalThis as { [KEY]?: HubStatus };

export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT?.trim() || 'https://huggingface.co').replace(/\/+$/, '');
}

export function getHubStatus(): HubStatus {
  return g[KEY] ?? { reachable: null, endpoint: hubEndpoint(), checkedAt: null, message: null };
}

export function setHubStatus(reachable: boolean, detail?: string): HubStatus {
  const endpoint = hubEndpoint();
  const status: HubStatus = {
    reachable,
    endpoint,
    checkedAt: new Date().toISOString(),
    message: reachable
      ? null
      : `Hugging Face Hub unreachable at ${endpoint}${detail ? ` (${detail})` : ''}: serving stored results; ` +
        'run `npm run demo` for an offline demo',
  };
  g[KEY] = status;
  return status;
}

/** One cheap request to the Hub's model listing, with a timeout. Records and returns the status. */
export async function probeHub(timeoutMs = 5000): Promise<HubStatus> {
  const url = `${hubEndpoint()}/api/models?limit=1`;
  try {
    const headers: Record<string, string> = {};
    if (process.env.HF_TOKEN) headers.authorization = `Bearer ${process.env.HF_TOKEN}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
    await res.body?.cancel();
    if (res.status >= 500) return setHubStatus(false, `HTTP ${res.status}`);
    return setHubStatus(true);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return setHubStatus(false, e.cause?.code ?? e.name ?? e.message);
  }
}
