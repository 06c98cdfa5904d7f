// The express app: JSON REST API, sign-in, export, and the built client.
import { join } from 'node:path';
import express from 'express';
import type { Router } from 'express';
import type { Users } from '../auth/users.ts';
import type { Logger } from '../log.ts';
import type { Notebooks } from '../notebooks/service.ts';
import type { MetaStore } from '../store/types.ts';
import type { Rooms } from '../sync/rooms.ts';
import { authenticate } from './auth.ts';
import { clientPage } from './clientPage.ts';
import { HttpError } from '../errors.ts';
import { errorMiddleware } from './errors.ts';
import { confineGuests } from './guests.ts';
import type { AllowedHosts } from './hosts.ts';
import { checkHost } from './hosts.ts';
import { exportRoutes } from './routes/export.ts';
import { notebookRoutes } from './routes/notebooks.ts';
import { sessionRoutes } from './routes/session.ts';
import { userRoutes } from './routes/users.ts';
import { securityHeaders } from './securityHeaders.ts';

export interface AppDeps {
  users: Users;
  meta: MetaStore;
  notebooks: Notebooks;
  rooms: Rooms;
  log: Logger;
  maxBodyBytes: number;
  allowedOrigins: readonly string[];
  /** `Host` headers this server answers (DNS-rebinding defence). */
  allowedHosts: AllowedHosts;
  clientDir: string;
  /** `--public-url`, the base of the login links handed out (else the request's host). */
  publicUrl?: string;
  /** Routers added by later layers (execution, kernels), mounted after the core routes. */
  extraRoutes?: Router[];
  /** Where kernels run, for `GET /api/me` (the client warns owners when kernels are not isolated). */
  kernelSandbox?: 'bwrap' | 'none';
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.use(checkHost(deps.allowedHosts));
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders());
  app.use(express.json({ limit: deps.maxBodyBytes, strict: false }));
  app.use(authenticate(deps.users, deps.allowedOrigins));
  app.use(confineGuests());

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(sessionRoutes(deps.users, deps.allowedOrigins, { kernelSandbox: deps.kernelSandbox ?? 'bwrap' }));
  app.use(userRoutes(deps.users, deps.meta, deps.publicUrl));
  app.use(notebookRoutes(deps.notebooks));
  app.use(exportRoutes(deps.notebooks, deps.rooms));
  for (const router of deps.extraRoutes ?? []) app.use(router);

  app.use('/api', (req) => {
    throw new HttpError(404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`);
  });

  // The page is never served as a static file: each response carries its own style nonce.
  const page = clientPage(join(deps.clientDir, 'index.html'));
  app.get('/index.html', page);
  app.use(express.static(deps.clientDir, { index: false }));
  app.get(/.*/, page);

  app.use(errorMiddleware(deps.log));
  return app;
}
