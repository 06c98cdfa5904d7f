// Sign-in: the login URL the server prints (`/login?token=…`), `POST /api/login`, logout, `me`.
//
// Login CSRF: a foreign page can send a browser to `/login?token=<attacker's>`; signing in on
// that GET would put the visitor in the attacker's account (replacing their own session, or
// starting one), where what they type is the attacker's to read. So the GET signs in directly
// only when the browser says the visitor opened the URL themselves (`Sec-Fetch-Site: none`:
// typed, pasted, a bookmark, or a click in the terminal that printed it) and no other account is
// signed in. Otherwise it shows a confirmation page whose form posts back to `/login`, and that
// POST must carry this server's own `Origin`, which a foreign page cannot forge.
import express from 'express';
import type { Request, Response } from 'express';
import { Router } from 'express';
import { originAllowed, parseCookies } from '../../auth/identify.ts';
import type { Users } from '../../auth/users.ts';
import { SESSION_COOKIE } from '../../auth/users.ts';
import type { UserRecord } from '../../store/types.ts';
import { HttpError } from '../../errors.ts';
import { userOf } from '../auth.ts';
import { basePath } from '../site.ts';

/**
 * Starts a browser session for the user: an httpOnly SameSite cookie holding a random id, for the
 * base URL's path only, and `Secure` when the page is https (directly, or as a trusted proxy says).
 */
export async function setSessionCookie(users: Users, userId: string, res: Response): Promise<void> {
  const { sessionId, maxAgeMs } = await users.startSession(userId);
  res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', maxAge: maxAgeMs, path: basePath(res.req), secure: res.req.secure });
}

async function signIn(users: Users, token: unknown, res: Response) {
  if (typeof token !== 'string' || token === '') throw new HttpError(400, 'token_required', 'a token is required');
  const user = await users.byToken(token);
  if (!user) throw new HttpError(401, 'bad_token', 'that token is not valid');
  await setSessionCookie(users, user.id, res);
  return user;
}

export interface SessionRouteOptions {
  /** Told to signed-in users: with `none` the client shows owners that kernels are not isolated. */
  kernelSandbox: 'bwrap' | 'none';
}

/** The account this browser is signed in as (by its cookie), whatever else the request carries. */
async function cookieUser(users: Users, req: Request): Promise<UserRecord | undefined> {
  const session = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  return session ? users.bySession(session) : undefined;
}

/**
 * The login pages are ours alone: no framing, no script, a referrer (the URL holds a token) only
 * to this origin. Not `no-referrer`: with it browsers send `Origin: null` on the confirmation
 * form's POST, which then cannot be told from a foreign one.
 */
function loginPageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} · Cohort</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.4rem 1rem;margin-right:.5rem}</style></head>
<body><main>${body}</main></body></html>`;
}

function confirmPage(token: string, user: UserRecord, current: UserRecord | undefined): string {
  const name = escapeHtml(user.name);
  const situation = current
    ? `<p>This browser is signed in as <strong>${escapeHtml(current.name)}</strong>. Continuing signs it in as
       <strong>${name}</strong> instead.</p>`
    : `<p>This sign-in link was opened by a page, not by you. Continue only if you meant to sign in as
       <strong>${name}</strong>: everything you do next is done in that account.</p>`;
  return page(
    'Sign in?',
    `<h1 id="confirm-sign-in">Sign in as ${name}?</h1>
${situation}
<form method="post" action="login">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit" id="confirm">Sign in as ${name}</button>
<a href="./" id="cancel">${current ? `Stay ${escapeHtml(current.name)}` : 'Cancel'}</a>
</form>`,
  );
}

/** The visitor opened the URL themselves (not a page): typed, pasted, bookmarked, or from another app. */
function openedByVisitor(req: Request): boolean {
  return req.headers['sec-fetch-site'] === 'none';
}

/** A form post from one of this server's own pages: its Origin must be present and ours. */
function fromOwnPage(req: Request, allowedOrigins: readonly string[]): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  return req.headers.origin !== undefined && originAllowed(req, allowedOrigins);
}

export function sessionRoutes(
  users: Users,
  allowedOrigins: readonly string[],
  options: SessionRouteOptions = { kernelSandbox: 'bwrap' },
): Router {
  const router = Router();

  router.get('/login', async (req, res) => {
    loginPageHeaders(res);
    const token = req.query.token;
    const user = typeof token === 'string' && token !== '' ? await users.byToken(token) : undefined;
    if (!user || typeof token !== 'string') {
      res.status(401).type('html').send(page('Sign-in link not valid', '<h1>This sign-in link is not valid</h1><p>Ask for a new one, or <a href="./">sign in with a token</a>.</p>'));
      return;
    }
    const current = await cookieUser(users, req);
    if (current?.id === user.id) {
      res.redirect(303, basePath(req));
      return;
    }
    if (!current && openedByVisitor(req)) {
      await setSessionCookie(users, user.id, res);
      res.redirect(303, basePath(req));
      return;
    }
    res.status(200).type('html').send(confirmPage(token, user, current));
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    loginPageHeaders(res);
    if (!fromOwnPage(req, allowedOrigins)) {
      res.status(403).type('html').send(page('Sign-in refused', '<h1>Sign-in refused</h1><p>This sign-in did not come from a page of this server.</p>'));
      return;
    }
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const user = typeof token === 'string' && token !== '' ? await users.byToken(token) : undefined;
    if (!user) {
      res.status(401).type('html').send(page('Sign-in link not valid', '<h1>This sign-in link is not valid</h1>'));
      return;
    }
    await setSessionCookie(users, user.id, res);
    res.redirect(303, basePath(req));
  });

  router.post('/api/login', async (req, res) => {
    const user = await signIn(users, (req.body as { token?: unknown } | undefined)?.token, res);
    res.json({ id: user.id, name: user.name, admin: user.admin });
  });

  router.post('/api/logout', async (req, res) => {
    const session = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (session) await users.endSession(session);
    res.clearCookie(SESSION_COOKIE, { path: basePath(req), secure: req.secure });
    res.status(204).end();
  });

  router.get('/api/me', (req, res) => {
    const user = userOf(req);
    // `guest`: the page leaves out what a guest may not use (the kernels panel, accounts).
    // `kernelSandbox`: with `none` the page tells owners that kernels are not isolated.
    res.json({ id: user.id, name: user.name, admin: user.admin, kernelSandbox: options.kernelSandbox, ...(user.guest ? { guest: true } : {}) });
  });

  return router;
}
