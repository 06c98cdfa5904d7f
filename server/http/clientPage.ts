// The page (dist/client/index.html) for `/` and every client route, with a fresh style nonce per
// response: in the CSP header and in the page's `<meta property="csp-nonce">`, where CodeMirror's
// <style> element takes it from (client/cspNonce.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { contentSecurityPolicy } from './securityHeaders.ts';

const NONCE_PLACEHOLDER = 'COHORT_STYLE_NONCE';

export function clientPage(indexPath: string): RequestHandler {
  // Re-read when the build changes (a `npm run build` under a running server).
  let cached: { mtimeMs: number; html: string } | undefined;
  const page = (): string | undefined => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(indexPath).mtimeMs;
    } catch {
      return undefined;
    }
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: readFileSync(indexPath, 'utf8') };
    return cached.html;
  };
  return (_req, res) => {
    const html = page();
    if (html === undefined) {
      res.status(503).type('text/plain').send('The client is not built yet: run `npm run setup` (or `npm run build`).');
      return;
    }
    const nonce = randomBytes(18).toString('base64');
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(nonce));
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html.replaceAll(NONCE_PLACEHOLDER, nonce));
  };
}
