// Sign-in: the login URL the server prints (`/login?token=…`), `POST /api/login`, logout, `me`.
import type { Response } from 'express';
import { Router } from 'express';
import { parseCookies } from '../../auth/identify.ts';
import type { Users } from '../../auth/users.ts';
import { SESSION_COOKIE } from '../../auth/users.ts';
import { HttpError } from '../errors.ts';
import { userOf } from '../auth.ts';

async function signIn(users: Users, token: unknown, res: Response) {
  if (typeof token !== 'string' || token === '') throw new HttpError(400, 'token_required', 'a token is required');
  const user = await users.byToken(token);
  if (!user) throw new HttpError(401, 'bad_token', 'that token is not valid');
  const { sessionId, maxAgeMs } = await users.startSession(user.id);
  res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', maxAge: maxAgeMs, path: '/' });
  return user;
}

export function sessionRoutes(users: Users): Router {
  const router = Router();

  router.get('/login', async (req, res) => {
    await signIn(users, req.query.token, res);
    res.redirect(303, '/');
  });

  router.post('/api/login', async (req, res) => {
    const user = await signIn(users, (req.body as { token?: unknown } | undefined)?.token, res);
    res.json({ id: user.id, name: user.name, admin: user.admin });
  });

  router.post('/api/logout', async (req, res) => {
    const session = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (session) await users.endSession(session);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  router.get('/api/me', (req, res) => {
    const user = userOf(req);
    res.json({ id: user.id, name: user.name, admin: user.admin });
  });

  return router;
}
