// Live classroom sessions over REST: start/end (owner), join with a code (anyone, rate-limited),
// progressive reveal (editors and owners), roster and spotlight (owner).
import { Router } from 'express';
import type { Request } from 'express';
import { rateLimit } from 'express-rate-limit';
import { can } from '../../../shared/roles.ts';
import type { LiveSessions } from '../../classroom/liveSessions.ts';
import { hiddenCount, hideFrom, reveal } from '../../classroom/reveal.ts';
import type { Users } from '../../auth/users.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { Rooms } from '../../sync/rooms.ts';
import type { Metrics } from '../../metrics.ts';
import { sendError } from '../errors.ts';
import { joinLink, publicBase } from '../publicUrl.ts';
import { notebookFor } from './notebooks.ts';
import { setSessionCookie } from './session.ts';

export interface ClassroomRouteDeps {
  sessions: LiveSessions;
  notebooks: Notebooks;
  users: Users;
  rooms: Rooms;
  isConnected(notebookId: string, userId: string): boolean;
  /** Join attempts allowed per client address per minute. */
  joinAttemptsPerMinute: number;
  metrics?: Metrics;
  /** `--public-url`: the base of join links (else the request's host). */
  publicUrl?: string;
}

function field(req: Request, name: string): unknown {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

export function classroomRoutes(deps: ClassroomRouteDeps): Router {
  const { sessions, notebooks, users, rooms } = deps;
  const router = Router();
  const joinUrl = (req: Request, code: string) => joinLink(publicBase(req, deps.publicUrl), code);

  router.post('/api/notebooks/:id/session', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req, can.manage);
    const { session, created } = await sessions.start(notebook, user);
    res.status(created ? 201 : 200).json({ code: session.code, joinUrl: joinUrl(req, session.code), startedAt: session.startedAt });
  });

  router.get('/api/notebooks/:id/session', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req);
    const session = await sessions.get(notebook.id);
    if (!session) {
      res.json({ active: false });
      return;
    }
    const owner = can.manage(notebook.role);
    res.json({
      active: true,
      startedAt: session.startedAt,
      ...(owner ? { code: session.code, joinUrl: joinUrl(req, session.code) } : {}),
    });
  });

  router.delete('/api/notebooks/:id/session', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    await sessions.end(notebook.id, req.query.keepPrivate !== 'false');
    res.status(204).end();
  });

  // Codes are short enough to type, so guessing is limited per address.
  const joinLimiter = rateLimit({
    windowMs: 60_000,
    limit: deps.joinAttemptsPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    // Keyed on req.ip, which honours --trust-proxy; the library's own check of X-Forwarded-For
    // would print a stack trace per server, and the server already warns once in its log (site.ts).
    validate: { xForwardedForHeader: false },
    handler: (_req, res) => {
      deps.metrics?.quotaHit('join_rate');
      deps.metrics?.joined('rate_limited');
      sendError(res, 429, 'too_many_attempts', 'too many join attempts; wait a minute and try again');
    },
  });

  router.post('/api/join', joinLimiter, async (req, res) => {
    const joined = await sessions.join(field(req, 'code'), field(req, 'name'), req.identity?.user).catch((err: unknown) => {
      deps.metrics?.joined('refused');
      throw err;
    });
    deps.metrics?.joined('joined');
    if (joined.token) await setSessionCookie(users, joined.user.id, res);
    res.json({
      notebookId: joined.notebookId,
      user: { id: joined.user.id, name: joined.user.name, guest: joined.user.guest !== undefined },
      ...(joined.token ? { token: joined.token } : {}),
    });
  });

  router.post('/api/notebooks/:id/session/hide', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.editShared);
    res.json(await hideFrom(rooms, notebook.id, field(req, 'fromCellId')));
  });

  router.post('/api/notebooks/:id/session/reveal', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.editShared);
    res.json(await reveal(rooms, notebook.id, { count: field(req, 'count'), throughCellId: field(req, 'throughCellId'), all: field(req, 'all') }));
  });

  router.get('/api/notebooks/:id/session/hidden', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.editShared);
    res.json({ hidden: await hiddenCount(rooms, notebook.id) });
  });

  router.get('/api/notebooks/:id/session/roster', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    res.json(await sessions.roster(notebook, (userId) => deps.isConnected(notebook.id, userId)));
  });

  router.post('/api/notebooks/:id/session/spotlight', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    await sessions.spotlight(notebook.id, { cellId: field(req, 'cellId'), userId: field(req, 'userId') });
    res.status(204).end();
  });

  return router;
}
