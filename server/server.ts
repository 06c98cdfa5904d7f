// The composition root as a function: builds every part from a Config, so `main.ts` and the tests
// start the very same server (tests on port 0 with a temp data dir).
import { mkdirSync } from 'node:fs';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { Users } from './auth/users.ts';
import { ExecutionService } from './execution/service.ts';
import { Files } from './files/service.ts';
import { userHome } from './kernels/homes.ts';
import { LiveSessions } from './classroom/liveSessions.ts';
import { WidgetBridge } from './widgets/bridge.ts';
import { KernelManager } from './kernels/manager.ts';
import { cleanupOrphans } from './kernels/orphans.ts';
import type { KernelSandbox } from './kernels/sandbox.ts';
import { buildApp } from './appSetup.ts';
import { kernelSpecResolver } from './kernelSetup.ts';
import { openResources } from './resources.ts';
import { shutDown } from './shutdown.ts';
import type { Config } from './config.ts';
import { clientAddress, trustFunction } from './http/site.ts';
import { Metrics } from './metrics.ts';
import { listenForBackups } from './backup/socket.ts';
import { AllowedHosts } from './http/hosts.ts';
import { listenHttp } from './listen.ts';
import type { Logger } from './log.ts';
import { Notebooks } from './notebooks/service.ts';
import type { Store } from './store/types.ts';
import { DEFAULT_PRESENCE_LIMITS } from './sync/presence.ts';
import { Rooms } from './sync/rooms.ts';
import { SyncServer } from './sync/server.ts';

export interface CohortServer {
  readonly url: string;
  readonly port: number;
  /** The admin's token when it was created (or given) in this run; only its hash is stored. */
  readonly adminToken?: string;
  readonly store: Store;
  readonly users: Users;
  readonly notebooks: Notebooks;
  readonly rooms: Rooms;
  readonly kernels: KernelManager;
  /** Where kernels run: `bwrap` (isolated) or `none`. */
  readonly kernelSandbox: KernelSandbox['mode'];
  readonly execution: ExecutionService;
  readonly classroom: LiveSessions;
  readonly metrics: Metrics;
  /** The express app (tests list its routes). */
  readonly app: Express;
  close(): Promise<void>;
}

export async function startCohort(config: Config, log: Logger): Promise<CohortServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const metrics = new Metrics();
  const { store, sandbox, gateway } = await openResources(config, log, metrics);
  const users = new Users(store.meta, log);
  const admin = await users.ensureAdmin(config.adminToken);
  const notebooks = new Notebooks(store, log, { maxNotebooksPerUser: config.maxNotebooksPerUser });
  const widgets = new WidgetBridge(log, {
    maxStateBytes: config.maxWidgetStateBytes,
    roleOf: (notebookId, userId) => notebooks.roleOf(notebookId, userId),
  });
  const rooms = new Rooms(
    store.docs,
    {
      maxRefusedWrites: config.maxRefusedWrites,
      maxWriteBytes: config.maxWriteBytes,
      maxDocumentBytes: config.maxDocumentBytes,
      presence: DEFAULT_PRESENCE_LIMITS,
      metrics,
      widgetMessages: (room, conn, message) => widgets.fromClient(room, conn, message),
    },
    log,
    config.roomIdleMs,
  );
  const orphans = await cleanupOrphans(config.dataDir, log, sandbox);
  if (orphans.killed.length > 0) log.warn({ pids: orphans.killed }, 'stopped kernels left by a previous run');
  if (orphans.removed.length + orphans.swept.length > 0) log.info({ kernels: orphans.removed, dirs: orphans.swept }, 'removed what kernels of a previous run left');
  const files: Files = new Files({
    dataDir: config.dataDir,
    log,
    owner: sandbox.fileOwner,
    userQuota: { bytes: config.userQuotaBytes, files: config.userQuotaFiles },
    notebookQuota: { bytes: config.notebookQuotaBytes, files: config.notebookQuotaFiles },
    sandboxed: sandbox.mode === 'bwrap',
    runningHomes: (notebookId): string[] =>
      kernels.list().flatMap(({ key }) => (key.notebookId === notebookId && !key.shared ? [userHome(config.dataDir, key.userId)] : [])),
  });
  // A deleted notebook's files go with it (its shared kernel, if running, is stopped by the sync layer's close).
  notebooks.on('deleted', (id) => void files.removeAll({ kind: 'notebook', notebookId: id }).catch((err: unknown) => log.error({ err, notebook: id }, "removing a deleted notebook's files failed")));
  const kernels: KernelManager = new KernelManager({
    dataDir: config.dataDir,
    logger: log,
    sandbox,
    resolveSpec: kernelSpecResolver(config, log),
    ...(gateway ? { provider: gateway } : {}),
    defaultSpecName: config.defaultKernel,
    poolSize: config.poolSize,
    maxKernels: config.maxKernels,
    maxKernelsPerUser: config.maxKernelsPerUser,
    cullIdleMs: config.cullIdleMs,
    startTimeoutMs: config.kernelStartTimeoutMs,
    beforeStart: (key, home) => (key.shared ? Promise.resolve() : files.linkNotebookFiles(key.notebookId, home)),
  });
  const execution = new ExecutionService({
    rooms,
    kernels,
    log,
    maxOutputBytes: config.maxOutputBytes,
    plugins: widgets.plugin(),
    onRunFinished: (run) => {
      classroom.recordRun(run);
      metrics.runFinished(run);
    },
  });
  const classroom: LiveSessions = new LiveSessions({
    store,
    users,
    notebooks,
    rooms,
    execution,
    log,
    disconnect: (notebookId, userId, code, reason) => sync.disconnectUser(notebookId, userId, code, reason),
    joinsPerSessionPerMinute: config.joinsPerSessionPerMinute,
    removeFiles: (userId) => files.removeAll({ kind: 'mine', userId }),
  });
  const trust = trustFunction(config.trustProxy);
  // The address people are told to use (--public-url) is this server's: its origin may change
  // state and open sockets, and its host is answered, as for an --allowed-origins entry.
  const allowedOrigins = config.publicUrl ? [...config.allowedOrigins, new URL(config.publicUrl).origin] : config.allowedOrigins;
  const sync = new SyncServer({
    rooms,
    users,
    notebooks,
    log,
    maxMessageBytes: config.maxMessageBytes,
    maxConnectionsPerUser: config.maxConnectionsPerUser,
    allowedOrigins,
    basePath: config.baseUrl,
    clientAddress: (req) => clientAddress(req, trust),
    metrics,
  });
  kernels.on('limit', (scope) => metrics.quotaHit(scope === 'user' ? 'kernels_per_user' : 'kernels_total'));
  metrics.observe({
    connectedClients: () => sync.connectionCount,
    loadedRooms: () => rooms.size,
    kernels: () => [
      ...kernels.list().map((managed) => ({ state: managed.kernel.state, provider: kernels.providerName })),
      ...Array.from({ length: kernels.poolInfo().ready }, () => ({ state: 'pooled', provider: kernels.providerName })),
    ],
  });
  const allowedHosts = new AllowedHosts(config.host, allowedOrigins);
  // The parts both the REST app and the caller (main.ts, tests) hold.
  const parts = { store, users, notebooks, rooms, kernels, kernelSandbox: sandbox.mode, execution, classroom, metrics };
  const app = buildApp({ config, log, ...parts, widgets, files, sync, allowedOrigins, allowedHosts });

  const http = await listenHttp({ config, app, trust, metrics, allowedHosts, sync, log });
  const backups = await listenForBackups(config.dataDir, store, log);
  const port = (http.address() as AddressInfo).port;
  allowedHosts.listening(port);
  // Without the base URL's final slash, so that `${url}/login` and `${url}/api/...` read naturally.
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${config.baseUrl.slice(0, -1)}`;
  log.info({ url, dataDir: config.dataDir }, 'cohort listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    adminToken: admin.token,
    ...parts,
    app,
    close: () => (closing ??= shutDown({ log, http, sync, execution, kernels, sandbox, rooms, backups, store })),
  };
}
