import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import { HubBanner } from './_components/HubBanner';
import { NavLinks } from './_components/NavLinks';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'alphaboard — spectral leaderboard of open LLMs', template: '%s · alphaboard' },
  description: 'Open LLM checkpoints ranked by the heavy-tailed spectral quality of their weights (WeightWatcher metrics).',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <nav aria-label="Main">
            <Link href="/" className="brand" prefetch={false}>
              <span>α</span>board
            </Link>
            <NavLinks />
          </nav>
        </header>
        <main id="main">
          <HubBanner />
          {children}
        </main>
        <footer className="site-footer">
          Metrics follow WeightWatcher 0.7.5.5 (Martin &amp; Mahoney, Heavy-Tailed Self-Regularization). Phase labels are this
          project’s own heuristic.
        </footer>
      </body>
    </html>
  );
}
