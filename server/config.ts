// Every option Cohort has, with its default (parsed from flags and environment by loadConfig.ts).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /**
   * Token for the `admin` user created on a fresh data dir; random when unset. Read from the
   * environment or a file only: a command line is visible to every local user (`ps`, /proc).
   */
  adminToken?: string;
  /** Extra allowed `Origin`s for cookie-authenticated requests and WebSocket upgrades. */
  allowedOrigins: string[];
  /** Largest accepted WebSocket message, bytes. */
  maxMessageBytes: number;
  /** Largest accepted JSON request body (an imported notebook), bytes. */
  maxBodyBytes: number;
  /** Updates kept in a document's log before they are merged into one. */
  compactAfter: number;
  /** Refused writes tolerated from a read-only connection before it is closed. */
  maxRefusedWrites: number;
  /** Largest single write (one sync update) a client may send to a document. */
  maxWriteBytes: number;
  /** Largest a document may grow through clients' writes (its encoded Yjs state). */
  maxDocumentBytes: number;
  /** WebSocket connections one user may have open at once (every room, every tab). */
  maxConnectionsPerUser: number;
  logLevel: string;
  /** Folders searched first for kernelspecs (`<dir>/kernels/<name>/kernel.json`), like JUPYTER_PATH. */
  kernelSpecDirs: string[];
  /** Jupyter data dirs searched first for widget front ends (`<dir>/nbextensions/<module>/index.js`). */
  widgetDataDirs: string[];
  defaultKernel: string;
  /** Pre-started kernels of the default kernelspec. */
  poolSize: number;
  maxKernels: number;
  maxKernelsPerUser: number;
  /** Idle kernels are stopped after this long; 0 disables culling. */
  cullIdleMs: number;
  kernelStartTimeoutMs: number;
  /** Text kept per cell's outputs before the rest is replaced by a truncation marker. */
  maxOutputBytes: number;
  /** How long a document nobody uses stays in memory before it is unloaded (it is stored already). */
  roomIdleMs: number;
  /** Live-session join attempts allowed per client address per minute (successful joins not counted). */
  joinAttemptsPerMinute: number;
  /** New participants one live session accepts per minute (a class joins over minutes, not in a second). */
  joinsPerSessionPerMinute: number;
  /** Notebooks one user may own; 0 = no limit. */
  maxNotebooksPerUser: number;
  /** Largest published output (JSON of one user's outputs of one cell), bytes. */
  maxPublishedBytes: number;
  /** Widget state one kernel may keep in its document (all its models, buffers included), bytes. */
  maxWidgetStateBytes: number;
  /** Bytes and files in one user's own files (their home); 0 = no limit. */
  userQuotaBytes: number;
  userQuotaFiles: number;
  /** Bytes and files in one notebook's files; 0 = no limit. */
  notebookQuotaBytes: number;
  notebookQuotaFiles: number;
  /** Directory with the built client (index.html); served at the base URL when present. */
  clientDir: string;
  /** Path prefix every route lives under (`/` or `/prefix/`, always with both slashes). */
  baseUrl: string;
  /** Proxies whose X-Forwarded-* headers are believed: a hop count or addresses/CIDRs; none by default. */
  trustProxy: TrustProxy;
  /** Bearer token that `GET /metrics` asks for; without one the endpoint does not exist. */
  metricsToken?: string;
  /** `bwrap`: every kernel in a bubblewrap sandbox of its own; `none`: plain processes, not isolated. */
  kernelSandbox: 'bwrap' | 'none';
  /** `none`: kernels have no network (loopback of their own only); `host`: the host's network. */
  kernelNetwork: 'none' | 'host';
  /** The uid and gid kernels run as when the server runs as root. */
  kernelUser: { uid: number; gid: number };
  /** Memory per kernel, bytes (0: no limit). */
  kernelMemoryBytes: number;
  /** Processes and threads per kernel (0: no limit). */
  kernelMaxProcesses: number;
  /** Host directories every kernel sees read-only, besides /usr, /etc and the project's `.python`. */
  kernelReadOnlyPaths: string[];
  /** The bubblewrap program. */
  bwrapPath: string;
  /**
   * A remote kernel engine (Jupyter Enterprise Gateway, Jupyter Server) that runs every kernel
   * instead of this machine; unset: kernels are local processes.
   */
  kernelGatewayUrl?: string;
  /** The engine's token. Read from the environment or a file only, like the admin token. */
  kernelGatewayToken?: string;
  /**
   * The address people reach the server at (`https://notebooks.school.example`), used in login and
   * join links; without it, links name the host the request came to.
   */
  publicUrl?: string;
}

/** `--trust-proxy`: how many proxy hops in front of Cohort, or which addresses are proxies. */
export type TrustProxy = number | string[];

/**
 * The project folder: the nearest folder above this module with Cohort's package.json. Found by
 * walking up, because this module runs both from `server/` (tsx) and bundled from `dist/server/`.
 */
export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'cohort') return dir;
    } catch {
      // no readable package.json here: keep walking up
    }
    if (dirname(dir) === dir) return resolve(start, '..');
  }
}

export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: 8888,
    dataDir: resolve('data'),
    allowedOrigins: [],
    maxMessageBytes: 16 * 1024 * 1024,
    maxBodyBytes: 32 * 1024 * 1024,
    compactAfter: 500,
    maxRefusedWrites: 3,
    maxWriteBytes: 4 * 1024 * 1024,
    maxDocumentBytes: 64 * 1024 * 1024,
    maxConnectionsPerUser: 50,
    logLevel: 'info',
    kernelSpecDirs: [resolve(projectRoot, '.jupyter')],
    widgetDataDirs: [],
    defaultKernel: 'python3',
    poolSize: 2,
    maxKernels: 64,
    maxKernelsPerUser: 4,
    cullIdleMs: 60 * 60 * 1000,
    kernelStartTimeoutMs: 30_000,
    maxOutputBytes: 1024 * 1024,
    joinAttemptsPerMinute: 20,
    joinsPerSessionPerMinute: 120,
    maxNotebooksPerUser: 200,
    maxPublishedBytes: 1024 * 1024,
    maxWidgetStateBytes: 16 * 1024 * 1024,
    userQuotaBytes: 1024 * 1024 * 1024,
    userQuotaFiles: 10_000,
    notebookQuotaBytes: 1024 * 1024 * 1024,
    notebookQuotaFiles: 1_000,
    roomIdleMs: 10_000,
    clientDir: resolve(projectRoot, 'dist/client'),
    baseUrl: '/',
    trustProxy: 0,
    kernelSandbox: 'bwrap',
    kernelNetwork: 'none',
    kernelUser: { uid: 65534, gid: 65534 },
    kernelMemoryBytes: 2 * 2 ** 30,
    kernelMaxProcesses: 512,
    kernelReadOnlyPaths: [],
    bwrapPath: '/usr/bin/bwrap',
  };
}
