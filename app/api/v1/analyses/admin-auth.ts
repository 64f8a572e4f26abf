import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../_lib/errors';

/**
 * Writes need `Authorization: Bearer $ADMIN_TOKEN`. With ADMIN_TOKEN unset no write is possible (503), so a
 * deployment that forgot the token is closed, not open. Tokens are compared in constant time (over hashes, so
 * lengths do not leak either).
 */
export function requireAdmin(req: Request): void {
  const expected = process.env.ADMIN_TOKEN?.trim();
  if (!expected) throw new AppError('unavailable:admin', 'Admin writes are disabled: set ADMIN_TOKEN on the server to enable them');
  const header = req.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) throw new AppError('unauthorized:admin', 'Missing "Authorization: Bearer <ADMIN_TOKEN>" header');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(m[1].trim()), digest(expected))) throw new AppError('unauthorized:admin', 'Wrong admin token');
}
