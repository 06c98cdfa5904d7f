// The address people reach this server at, for links the server hands out (login, join): the
// configured `--public-url` (which includes the base URL's path, if any), or else the scheme, host
// and base path the request came to, so a link made over the network works for someone else on
// the network rather than naming 127.0.0.1. Without a trailing slash: links append `/login…`.
import type { Request } from 'express';
import { basePath } from './site.ts';

export function publicBase(req: Request, configured: string | undefined): string {
  if (configured) return configured;
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${basePath(req).replace(/\/$/, '')}`;
}

export function loginLink(base: string, token: string): string {
  return `${base}/login?token=${encodeURIComponent(token)}`;
}

export function joinLink(base: string, code: string): string {
  return `${base}/#/join/${encodeURIComponent(code)}`;
}
