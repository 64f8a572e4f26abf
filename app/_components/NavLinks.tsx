'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Leaderboard' },
  { href: '/compare', label: 'Compare' },
  { href: '/correlations', label: 'Benchmarks' },
  { href: '/api/v1/openapi.json', label: 'API' },
];

export function NavLinks() {
  const path = usePathname();
  return (
    <>
      {LINKS.map((l) => (
        <Link key={l.href} href={l.href} aria-current={path === l.href ? 'page' : undefined} prefetch={false}>
          {l.label}
        </Link>
      ))}
    </>
  );
}
