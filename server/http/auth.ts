// Authentication for REST: resolves `req.identity`, and refuses cross-site cookie requests.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity } from '../auth/identify.ts';
import { identify, originAllowed } from '../auth/identify.ts';
import type { Users } from '../auth/users.ts';
import type { UserRecord } from '../store/types.ts';
import { HttpError } from './errors.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      identity?: Identity;
    }
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function authenticate(users: Users, allowedOrigins: readonly string[]): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const identity = await identify(req, users);
    if (identity) {
      if (identity.via === 'cookie' && !SAFE_METHODS.has(req.method) && !originAllowed(req, allowedOrigins)) {
        throw new HttpError(403, 'cross_origin', 'cross-site request refused');
      }
      req.identity = identity;
    }
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
