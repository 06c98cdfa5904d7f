// Who is asking: the same rules for REST requests and WebSocket upgrades.
// A bearer token (header or `?token=`) or the session cookie. Cookie-authenticated requests are
// the ones a foreign page could forge, so only they are subject to the same-origin check.
import type { IncomingMessage } from 'node:http';
import type { UserRecord } from '../store/types.ts';
import type { Users } from './users.ts';
import { SESSION_COOKIE } from './users.ts';

export interface Identity {
  user: UserRecord;
  via: 'token' | 'cookie';
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A cookie we cannot decode is not ours; ignoring it is the only sensible reading.
    }
  }
  return cookies;
}

export function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  if (header?.startsWith('token ')) return header.slice(6).trim(); // Jupyter's spelling
  const url = new URL(req.url ?? '/', 'http://x');
  return url.searchParams.get('token') ?? undefined;
}

export async function identify(req: IncomingMessage, users: Users): Promise<Identity | undefined> {
  const token = tokenOf(req);
  if (token) {
    const user = await users.byToken(token);
    return user ? { user, via: 'token' } : undefined;
  }
  const session = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (session) {
    const user = await users.bySession(session);
    return user ? { user, via: 'cookie' } : undefined;
  }
  return undefined;
}

/**
 * Same-origin check: the `Origin` header must name this server (its Host) or an allowed origin.
 * Browsers always send Origin on cross-site POSTs and WebSocket handshakes, so a missing Origin
 * means a non-browser client, which cannot carry a victim's cookie.
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
