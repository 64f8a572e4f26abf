import type { NextConfig } from 'next';
import { SECURITY_HEADERS } from './app/_lib/security-headers';

const nextConfig: NextConfig = {
  // Database drivers, the queue and the worker-thread pool run as plain Node modules, never bundled.
  serverExternalPackages: ['@electric-sql/pglite', 'pg-boss', 'pg', 'pino', 'proper-lockfile', 'tsx', 'prom-client'],
  poweredByHeader: false,
  // The static security headers on every response, build assets included (proxy.ts adds them and the CSP to pages
  // and API answers).
  async headers() {
    return [{ source: '/:path*', headers: SECURITY_HEADERS.map(([key, value]) => ({ key, value })) }];
  },
};

export default nextConfig;
