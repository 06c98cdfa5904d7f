// Stopping a running server in order: no new connections or executions first, then kernels
// (with everything they spawned) and their sandbox, then rooms, and the store closed last.
import type { Server } from 'node:http';
import type { BackupEndpoint } from './backup/socket.ts';
import type { ExecutionService } from './execution/service.ts';
import type { KernelManager } from './kernels/manager.ts';
import type { KernelSandbox } from './kernels/sandbox.ts';
import type { Logger } from './log.ts';
import type { Store } from './store/types.ts';
import type { Rooms } from './sync/rooms.ts';
import type { SyncServer } from './sync/server.ts';

export interface RunningParts {
  log: Logger;
  http: Server;
  sync: SyncServer;
  execution: ExecutionService;
  kernels: KernelManager;
  sandbox: KernelSandbox;
  rooms: Rooms;
  backups: BackupEndpoint;
  store: Store;
}

export async function shutDown({ log, http, sync, execution, kernels, sandbox, rooms, backups, store }: RunningParts): Promise<void> {
  log.info('shutting down');
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  sync.close();
  await execution.dispose();
  await kernels.dispose();
  sandbox.dispose();
  await rooms.dispose();
  http.closeAllConnections();
  await httpClosed;
  await backups.close();
  await store.close();
  log.info('stopped');
}
