// The express app: JSON REST API, sign-in, export, and the built client.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import type { Router } from 'express';
import type { Users } from '../auth/users.ts';
import type { Logger } from '../log.ts';
import type { Notebooks } from '../notebooks/service.ts';
import type { MetaStore } from '../store/types.ts';
import type { Rooms } from '../sync/rooms.ts';
import { authenticate } from './auth.ts';
import { errorMiddleware, HttpError } from './errors.ts';
import { exportRoutes } from './routes/export.ts';
import { notebookRoutes } from './routes/notebooks.ts';
import { sessionRoutes } from './routes/session.ts';
import { userRoutes } from './routes/users.ts';

export interface AppDeps {
  users: Users;
  meta: MetaStore;
  notebooks: Notebooks;
  rooms: Rooms;
  log: Logger;
  maxBodyBytes: number;
  allowedOrigins: readonly string[];
  clientDir: string;
  /** `--public-url`, the base of the login links handed out (else the request's host). */
  publicUrl?: string;
  /** Routers added by later layers (execution, kernels), mounted after the core routes. */
  extraRoutes?: Router[];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  app.use(express.json({ limit: deps.maxBodyBytes, strict: false }));
  app.use(authenticate(deps.users, deps.allowedOrigins));

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(sessionRoutes(deps.users));
  app.use(userRoutes(deps.users, deps.meta, deps.publicUrl));
  app.use(notebookRoutes(deps.notebooks));
  app.use(exportRoutes(deps.notebooks, deps.rooms));
  for (const router of deps.extraRoutes ?? []) app.use(router);

  app.use('/api', (req) => {
    throw new HttpError(404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`);
  });

  const index = join(deps.clientDir, 'index.html');
  app.use(express.static(deps.clientDir, { index: 'index.html' }));
  app.get(/.*/, (req, res) => {
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The client is not built yet: run `npm run setup` (or `npm run build`).');
      return;
    }
    res.sendFile(index);
  });

  app.use(errorMiddleware(deps.log));
  return app;
}
