import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Whether `req` carries the admin token: `Authorization: Bearer <token>`, or `?token=` in the
 * URL (how a browser opens the page; the page sends the header from then on). Compared in
 * constant time over hashes, so neither the token's length nor its prefix leaks.
 */
export function carriesToken(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? '');
  return timingSafeEqual(digest(given), digest(token));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
