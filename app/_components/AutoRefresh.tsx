'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Re-renders the server component tree every `seconds` while `active` (an analysis is queued or running), so
 * progress bars and freshly stored layers appear without a reload. Stops as soon as nothing is in flight, and
 * pauses while the tab is hidden.
 */
export function AutoRefresh({ active, seconds = 3 }: { active: boolean; seconds?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [active, seconds, router]);
  return null;
}
