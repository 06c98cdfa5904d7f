// Security headers on every response, and the Content-Security-Policy of the page (README,
// "Security model" → "In the browser"). What renders in a Cohort page was written by other people;
// the sanitizer (client/outputs/sanitize.ts) is the first line, this policy the one that holds if
// the sanitizer ever misses something.
import type { RequestHandler } from 'express';

/**
 * - script-src 'self': the bundle only — no inline script, no event-handler attributes, no eval
 *   (neither Vite's output, the widget packages, Lumino nor KaTeX need one).
 * - style-src 'self' plus this response's nonce: the bundle's CSS files and CodeMirror's one
 *   <style> element (it takes the nonce) — no other <style> applies, so no output can restyle the
 *   page (an output's own stylesheet is applied by the client as a constructed sheet scoped to it).
 *   style-src-attr 'unsafe-inline': style attributes are what notebook content is made of (KaTeX's
 *   layout, pandas tables, hand-written HTML). They cannot run script or fetch under this policy;
 *   the sanitizer drops declarations that would fetch, and the output box's paint containment
 *   clips what they could do to the layout. (Refusing them breaks nothing the client could not
 *   re-apply through the CSSOM, but Chromium reports a violation for every style attribute the
 *   sanitizer merely parses, so every math formula and table would log one.)
 *   Styles set through the CSSOM (widgets, Lumino, CodeMirror decorations) are not governed by CSP.
 * - img-src/media-src 'self' data: blob: — inline images and widget media; nothing from elsewhere.
 * - font-src 'self' data: — KaTeX's fonts (Vite inlines the smallest as data: URLs).
 * - connect-src 'self' — the REST API and the sync WebSocket (same-origin ws: is 'self').
 * - frames, workers, plugins, forms, <base> and being framed: none.
 */
export function contentSecurityPolicy(styleNonce?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${styleNonce ? ` 'nonce-${styleNonce}'` : ''}`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'none'",
    "worker-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Every response gets the policy (the page's own response replaces it with one that carries its
 * nonce; the html export replaces it with its sandboxing policy). Referrer-Policy is same-origin,
 * not no-referrer: under no-referrer browsers send `Origin: null` on same-origin POSTs, which the
 * server's origin check would refuse.
 */
export function securityHeaders(): RequestHandler {
  const policy = contentSecurityPolicy();
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
}
