// Authentication for REST: resolves `req.identity`, and refuses cross-site cookie requests.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity } from '../auth/identify.ts';
import { identify, originAllowed } from '../auth/identify.ts';
import type { Users } from '../auth/users.ts';
import type { UserRecord } from '../store/types.ts';
import { HttpError } from '../errors.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      identity?: Identity;
    }
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who asks, and no state change from a foreign page whoever asks: with the session cookie that
 * is CSRF; without credentials (sign-in, joining a session) it is login CSRF, a foreign page
 * signing the visitor in as someone else. A bearer-token client on another origin would need
 * CORS, which Cohort does not serve, so refusing foreign origins costs no legitimate caller.
 */
export function authenticate(users: Users, allowedOrigins: readonly string[]): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (!SAFE_METHODS.has(req.method) && !originAllowed(req, allowedOrigins)) {
      throw new HttpError(403, 'cross_origin', 'cross-site request refused');
    }
    const identity = await identify(req, users);
    if (identity) req.identity = identity;
    next();
  };
}

/** The signed-in user, or a 401. */
export function userOf(req: Request): UserRecord {
  const identity = req.identity;
  if (!identity) throw new HttpError(401, 'unauthorized', 'sign in: a token (Authorization: Bearer …) or the session cookie');
  return identity.user;
}

export function requireAdmin(req: Request): UserRecord {
  const user = userOf(req);
  if (!user.admin) throw new HttpError(403, 'forbidden', 'only a server admin may do that');
  return user;
}
