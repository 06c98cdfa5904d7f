// What a live-session guest may reach over REST: their session's notebook and their own
// sign-in, nothing else. An allow-list rather than checks in each route, so a route added later
// is closed to guests until someone decides otherwise. (The sync layer confines guests' rooms in
// `sync/authorize.ts`; the notebook service refuses to make a guest a member anywhere else.)
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors.ts';

/** `METHOD /path` a guest may call besides their notebook's own routes. */
const OPEN_TO_GUESTS = new Set([
  'GET /api/health',
  'GET /api/me',
  'POST /api/login',
  'POST /api/logout',
  'POST /api/join',
  'GET /api/notebooks',
]);

/** Sub-resources of the guest's notebook closed to them whatever their role there. */
const CLOSED_BELOW_NOTEBOOK = new Set(['members']);

export function confineGuests() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const guest = req.identity?.user.guest;
    if (!guest || !req.path.toLowerCase().startsWith('/api')) {
      next();
      return;
    }
    if (guestMay(req.method, req.path, guest.notebookId)) {
      next();
      return;
    }
    throw new HttpError(403, 'guest_confined', "a live-session guest may only use the session's notebook");
  };
}

function guestMay(method: string, path: string, notebookId: string): boolean {
  let segments: string[];
  try {
    // Express matches routes case-insensitively and decodes parameters: compare the same way.
    segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return false;
  }
  const fixed = segments.map((s) => s.toLowerCase());
  if (OPEN_TO_GUESTS.has(`${method === 'HEAD' ? 'GET' : method} /${fixed.join('/')}`)) return true;
  // Their own files (their kernel's home): nobody else's can be named there.
  if (fixed[0] === 'api' && fixed[1] === 'files') return true;
  // /api/notebooks/<their notebook>[/...]
  if (fixed[0] !== 'api' || fixed[1] !== 'notebooks' || segments[2] !== notebookId) return false;
  return !CLOSED_BELOW_NOTEBOOK.has(fixed[3] ?? '');
}
