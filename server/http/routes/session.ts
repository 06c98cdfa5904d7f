// Sign-in: the login URL the server prints (`/login?token=…`), `POST /api/login`, logout, `me`.
import type { Response } from 'express';
import { Router } from 'express';
import { parseCookies } from '../../auth/identify.ts';
import type { Users } from '../../auth/users.ts';
import { SESSION_COOKIE } from '../../auth/users.ts';
import { HttpError } from '../errors.ts';
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

export function sessionRoutes(users: Users, options: SessionRouteOptions = { kernelSandbox: 'bwrap' }): Router {
  const router = Router();

  router.get('/login', async (req, res) => {
    await signIn(users, req.query.token, res);
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
    res.json({ id: user.id, name: user.name, admin: user.admin, kernelSandbox: options.kernelSandbox });
  });

  return router;
}
