import { useEffect, useState } from 'react';
import type { ModelPageView } from '@/db/queries/model-page';

/**
 * The model page's view (db/queries/model-page.ts), fetched once per URL in the browser and shared by the
 * components that draw from it (charts, ESD viewer, layer table): the page itself sends only the URL, so its HTML
 * and component payload do not grow with the layer count. A done analysis' URL is cacheable for good.
 */

const loads = new Map<string, Promise<ModelPageView>>();

function load(url: string): Promise<ModelPageView> {
  let p = loads.get(url);
  if (!p) {
    p = fetch(url).then(async (res) => {
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      return body as ModelPageView;
    });
    // A failed load is asked again on the next mount; a few views at most are kept (one per page visited).
    p.catch(() => loads.delete(url));
    loads.set(url, p);
    if (loads.size > 8) loads.delete(loads.keys().next().value!);
  }
  return p;
}

export function usePageView(url: string): { view: ModelPageView | null; error: string | null } {
  const [state, setState] = useState<{ url: string; view: ModelPageView | null; error: string | null }>({ url, view: null, error: null });
  useEffect(() => {
    let live = true;
    load(url).then(
      (view) => live && setState({ url, view, error: null }),
      (e: Error) => live && setState({ url, view: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [url]);
  // A new URL (the page refreshed a running analysis) keeps showing the last view until the new one is here.
  return { view: state.view, error: state.url === url ? state.error : null };
}
