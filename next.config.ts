import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // Database drivers, the queue and the worker-thread pool run as plain Node modules, never bundled.
  serverExternalPackages: ['@electric-sql/pglite', 'pg-boss', 'pg', 'pino', 'proper-lockfile', 'tsx'],
  poweredByHeader: false,
};

export default nextConfig;
