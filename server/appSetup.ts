// The REST app built from the running parts: the core routes (http/app.ts) and every later layer's
// route group, each given the services and limits it needs. The admin's account service and the
// widget front ends serve routes only, so they are made here.
import type { Express } from 'express';
import { Accounts } from './admin/accounts.ts';
import type { Users } from './auth/users.ts';
import type { LiveSessions } from './classroom/liveSessions.ts';
import type { Config } from './config.ts';
import type { ExecutionService } from './execution/service.ts';
import type { Files } from './files/service.ts';
import { createApp } from './http/app.ts';
import type { AllowedHosts } from './http/hosts.ts';
import { accountRoutes } from './http/routes/accounts.ts';
import { classroomRoutes } from './http/routes/classroom.ts';
import { executionRoutes } from './http/routes/execution.ts';
import { fileRoutes } from './http/routes/files.ts';
import { handinRoutes } from './http/routes/handins.ts';
import { kernelRoutes } from './http/routes/kernels.ts';
import { myCellRoutes } from './http/routes/myCells.ts';
import { notebookZipRoutes } from './http/routes/notebookZip.ts';
import { widgetModuleRoutes } from './http/routes/widgetModules.ts';
import { widgetRoutes } from './http/routes/widgets.ts';
import { frontendDirs } from './kernelSetup.ts';
import type { KernelManager } from './kernels/manager.ts';
import type { KernelSandbox } from './kernels/sandbox.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Notebooks } from './notebooks/service.ts';
import type { Store } from './store/types.ts';
import type { Rooms } from './sync/rooms.ts';
import type { SyncServer } from './sync/server.ts';
import type { WidgetBridge } from './widgets/bridge.ts';
import { WidgetFrontends } from './widgets/frontends.ts';

export interface AppParts {
  config: Config;
  log: Logger;
  store: Store;
  users: Users;
  notebooks: Notebooks;
  rooms: Rooms;
  kernels: KernelManager;
  kernelSandbox: KernelSandbox['mode'];
  execution: ExecutionService;
  widgets: WidgetBridge;
  files: Files;
  classroom: LiveSessions;
  sync: SyncServer;
  metrics: Metrics;
  /** --allowed-origins with --public-url's origin. */
  allowedOrigins: readonly string[];
  allowedHosts: AllowedHosts;
}

export function buildApp(parts: AppParts): Express {
  const { config, log, store, users, notebooks, rooms, kernels, execution, widgets, files, classroom, sync, metrics } = parts;
  const accounts = new Accounts({
    meta: store.meta,
    notebooks,
    rooms,
    kernels,
    execution,
    log,
    disconnect: (notebookId, userId, code, reason) => sync.disconnectUser(notebookId, userId, code, reason),
  });
  const frontends = new WidgetFrontends(frontendDirs(config, log));
  return createApp({
    users,
    meta: store.meta,
    notebooks,
    rooms,
    log,
    maxBodyBytes: config.maxBodyBytes,
    allowedOrigins: parts.allowedOrigins,
    allowedHosts: parts.allowedHosts,
    clientDir: config.clientDir,
    kernelSandbox: parts.kernelSandbox,
    publicUrl: config.publicUrl,
    extraRoutes: [
      accountRoutes(accounts),
      executionRoutes(notebooks, execution, rooms),
      handinRoutes(notebooks, rooms, { maxPublishedBytes: config.maxPublishedBytes }),
      widgetRoutes(notebooks, widgets, config.maxWidgetStateBytes),
      myCellRoutes(notebooks, rooms),
      fileRoutes(files, notebooks),
      notebookZipRoutes(files, notebooks, rooms, { dataDir: config.dataDir, maxNotebookBytes: config.maxBodyBytes }),
      widgetModuleRoutes(frontends),
      kernelRoutes({ kernels, execution, notebooks, users, maxKernelsPerUser: config.maxKernelsPerUser, maxKernels: config.maxKernels }),
      classroomRoutes({
        sessions: classroom,
        notebooks,
        users,
        rooms,
        isConnected: (notebookId, userId) => sync.isConnected(notebookId, userId),
        joinAttemptsPerMinute: config.joinAttemptsPerMinute,
        metrics,
        publicUrl: config.publicUrl,
      }),
    ],
  });
}
