// Every option with its default. Precedence: command-line flag > environment variable > default.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import proxyaddr from 'proxy-addr';

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

const int = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
};

/**
 * `cohort`, `/cohort` and `/cohort/` all mean `/cohort/`. Only plain path characters: the prefix is
 * written into routes, cookie paths and the nginx example, where anything else would need escaping.
 */
export function normalizeBaseUrl(raw: string): string {
  const trimmed = raw.trim().replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '/';
  if (!/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(trimmed) || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`--base-url must be a path like /cohort/ (letters, digits, . _ ~ -), got "${raw}"`);
  }
  return `/${trimmed}/`;
}

/**
 * `--trust-proxy 1` trusts one hop (nginx in front); `--trust-proxy loopback,10.0.0.0/8` trusts
 * those addresses (proxy-addr's names and CIDRs). `true` (trust any sender) is refused on purpose:
 * every client could then pick its own address and slip past the join rate limit.
 */
export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0 || list.some((entry) => entry === 'true' || entry === 'false')) {
    throw new Error(`--trust-proxy takes a hop count or addresses/CIDRs (e.g. 1, or loopback,10.0.0.0/8), got "${raw}"`);
  }
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new Error(`--trust-proxy: ${(err as Error).message}`);
  }
  return list;
}

/** Flags and their environment variables; `kind` says how the string is read. */
const OPTIONS = {
  host: { env: 'COHORT_HOST', kind: 'string' },
  port: { env: 'COHORT_PORT', kind: 'int' },
  'data-dir': { env: 'COHORT_DATA_DIR', kind: 'path', key: 'dataDir' },
  'admin-token-file': { env: 'COHORT_ADMIN_TOKEN_FILE', kind: 'secretFile', key: 'adminToken' },
  'allowed-origins': { env: 'COHORT_ALLOWED_ORIGINS', kind: 'list', key: 'allowedOrigins' },
  'max-message-bytes': { env: 'COHORT_MAX_MESSAGE_BYTES', kind: 'int', key: 'maxMessageBytes' },
  'max-body-bytes': { env: 'COHORT_MAX_BODY_BYTES', kind: 'int', key: 'maxBodyBytes' },
  'compact-after': { env: 'COHORT_COMPACT_AFTER', kind: 'int', key: 'compactAfter' },
  'max-write-bytes': { env: 'COHORT_MAX_WRITE_BYTES', kind: 'int', key: 'maxWriteBytes' },
  'max-document-bytes': { env: 'COHORT_MAX_DOCUMENT_BYTES', kind: 'int', key: 'maxDocumentBytes' },
  'max-connections-per-user': { env: 'COHORT_MAX_CONNECTIONS_PER_USER', kind: 'int', key: 'maxConnectionsPerUser' },
  'log-level': { env: 'COHORT_LOG_LEVEL', kind: 'string', key: 'logLevel' },
  'kernelspec-dirs': { env: 'COHORT_KERNELSPEC_DIRS', kind: 'list', key: 'kernelSpecDirs' },
  'widget-data-dirs': { env: 'COHORT_WIDGET_DATA_DIRS', kind: 'list', key: 'widgetDataDirs' },
  'default-kernel': { env: 'COHORT_DEFAULT_KERNEL', kind: 'string', key: 'defaultKernel' },
  'pool-size': { env: 'COHORT_POOL_SIZE', kind: 'int', key: 'poolSize' },
  'max-kernels': { env: 'COHORT_MAX_KERNELS', kind: 'int', key: 'maxKernels' },
  'max-kernels-per-user': { env: 'COHORT_MAX_KERNELS_PER_USER', kind: 'int', key: 'maxKernelsPerUser' },
  'cull-idle-seconds': { env: 'COHORT_CULL_IDLE_SECONDS', kind: 'seconds', key: 'cullIdleMs' },
  'kernel-start-timeout-seconds': { env: 'COHORT_KERNEL_START_TIMEOUT_SECONDS', kind: 'seconds', key: 'kernelStartTimeoutMs' },
  'max-output-bytes': { env: 'COHORT_MAX_OUTPUT_BYTES', kind: 'int', key: 'maxOutputBytes' },
  'room-idle-seconds': { env: 'COHORT_ROOM_IDLE_SECONDS', kind: 'seconds', key: 'roomIdleMs' },
  'join-attempts-per-minute': { env: 'COHORT_JOIN_ATTEMPTS_PER_MINUTE', kind: 'int', key: 'joinAttemptsPerMinute' },
  'base-url': { env: 'COHORT_BASE_URL', kind: 'baseUrl', key: 'baseUrl' },
  'trust-proxy': { env: 'COHORT_TRUST_PROXY', kind: 'trustProxy', key: 'trustProxy' },
  'metrics-token': { env: 'COHORT_METRICS_TOKEN', kind: 'string', key: 'metricsToken' },
  'metrics-token-file': { env: 'COHORT_METRICS_TOKEN_FILE', kind: 'secretFile', key: 'metricsToken' },
  'public-url': { env: 'COHORT_PUBLIC_URL', kind: 'url', key: 'publicUrl' },
  'joins-per-session-per-minute': { env: 'COHORT_JOINS_PER_SESSION_PER_MINUTE', kind: 'int', key: 'joinsPerSessionPerMinute' },
  'max-notebooks-per-user': { env: 'COHORT_MAX_NOTEBOOKS_PER_USER', kind: 'int', key: 'maxNotebooksPerUser' },
  'max-published-bytes': { env: 'COHORT_MAX_PUBLISHED_BYTES', kind: 'int', key: 'maxPublishedBytes' },
  'max-widget-state-bytes': { env: 'COHORT_MAX_WIDGET_STATE_BYTES', kind: 'int', key: 'maxWidgetStateBytes' },
  'user-quota-bytes': { env: 'COHORT_USER_QUOTA_BYTES', kind: 'int', key: 'userQuotaBytes' },
  'user-quota-files': { env: 'COHORT_USER_QUOTA_FILES', kind: 'int', key: 'userQuotaFiles' },
  'notebook-quota-bytes': { env: 'COHORT_NOTEBOOK_QUOTA_BYTES', kind: 'int', key: 'notebookQuotaBytes' },
  'notebook-quota-files': { env: 'COHORT_NOTEBOOK_QUOTA_FILES', kind: 'int', key: 'notebookQuotaFiles' },
  'kernel-sandbox': { env: 'COHORT_KERNEL_SANDBOX', kind: 'enum', values: ['bwrap', 'none'], key: 'kernelSandbox' },
  'kernel-network': { env: 'COHORT_KERNEL_NETWORK', kind: 'enum', values: ['none', 'host'], key: 'kernelNetwork' },
  'kernel-uid': { env: 'COHORT_KERNEL_UID', kind: 'user', key: 'kernelUser' },
  'kernel-memory-mib': { env: 'COHORT_KERNEL_MEMORY_MIB', kind: 'mib', key: 'kernelMemoryBytes' },
  'kernel-max-processes': { env: 'COHORT_KERNEL_MAX_PROCESSES', kind: 'int', key: 'kernelMaxProcesses' },
  'kernel-readonly-paths': { env: 'COHORT_KERNEL_READONLY_PATHS', kind: 'list', key: 'kernelReadOnlyPaths' },
} as const;

/** An http(s) URL without a trailing slash, so links are `${publicUrl}/login?…`. */
const url = (name: string, value: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL, got "${value}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL, got "${value}"`);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) throw new Error(`${name} must not have a query, a fragment or credentials`);
  return parsed.href.replace(/\/+$/, '');
};

/** The admin token's environment variable; it has no flag of its own (see `loadConfig`). */
export const ADMIN_TOKEN_ENV = 'COHORT_ADMIN_TOKEN';

/** `uid` or `uid:gid` (gid defaults to uid). */
const user = (name: string, value: string): { uid: number; gid: number } => {
  const match = /^(\d+)(?::(\d+))?$/.exec(value);
  if (!match) throw new Error(`${name} must be a uid or uid:gid, got "${value}"`);
  const uid = Number(match[1]);
  return { uid, gid: match[2] === undefined ? uid : Number(match[2]) };
};

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const config = defaultConfig();
  // Refused rather than warned about: by the time a warning prints, the token has been in the
  // process table for every local user (and in shell history); a warning would not undo that.
  if (argv.some((arg) => arg === '--admin-token' || arg.startsWith('--admin-token='))) {
    throw new Error(
      `--admin-token is not accepted on the command line, where every local user can read it (ps, /proc/<pid>/cmdline); ` +
        `set ${ADMIN_TOKEN_ENV} or use --admin-token-file <path>`,
    );
  }
  const envToken = env[ADMIN_TOKEN_ENV];
  if (envToken !== undefined && envToken !== '') config.adminToken = envToken;
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(OPTIONS).map((flag) => [flag, { type: 'string' as const }])),
    strict: true,
  });
  for (const [flag, option] of Object.entries(OPTIONS)) {
    const raw = (values as Record<string, string | undefined>)[flag] ?? env[option.env];
    if (raw === undefined || raw === '') continue;
    const key = 'key' in option ? option.key : flag;
    switch (option.kind) {
      case 'string': Object.assign(config, { [key]: raw }); break;
      case 'int': Object.assign(config, { [key]: int(`--${flag}`, raw) }); break;
      case 'seconds': Object.assign(config, { [key]: int(`--${flag}`, raw) * 1000 }); break;
      case 'path': Object.assign(config, { [key]: resolve(raw) }); break;
      case 'url': Object.assign(config, { [key]: url(`--${flag}`, raw) }); break;
      case 'list': Object.assign(config, { [key]: raw.split(',').map((s) => s.trim()).filter(Boolean) }); break;
      case 'baseUrl': Object.assign(config, { [key]: normalizeBaseUrl(raw) }); break;
      case 'trustProxy': Object.assign(config, { [key]: parseTrustProxy(raw) }); break;
      case 'secretFile': Object.assign(config, { [key]: readSecretFile(`--${flag}`, raw) }); break;
      case 'mib': Object.assign(config, { [key]: int(`--${flag}`, raw) * 2 ** 20 }); break;
      case 'user': Object.assign(config, { [key]: user(`--${flag}`, raw) }); break;
      case 'enum': {
        const allowed: readonly string[] = 'values' in option ? option.values : [];
        if (!allowed.includes(raw)) throw new Error(`--${flag} must be one of ${allowed.join(', ')}, got "${raw}"`);
        Object.assign(config, { [key]: raw });
        break;
      }
    }
  }
  // Extra kernelspec folders come before the project's own `.jupyter` (written by the set-up).
  const projectSpecs = resolve(projectRoot, '.jupyter');
  config.kernelSpecDirs = [...config.kernelSpecDirs.map((d) => resolve(d)).filter((d) => d !== projectSpecs), projectSpecs];
  config.kernelReadOnlyPaths = config.kernelReadOnlyPaths.map((d) => resolve(d));
  return config;
}

/** A secret kept in a file (systemd credentials, a container secret; never on a command line): its content without the trailing newline. */
function readSecretFile(flag: string, path: string): string {
  let content: string;
  try {
    content = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read "${path}": ${(err as Error).message}`);
  }
  const secret = content.replace(/\r?\n$/, '');
  if (secret === '' || /[\s]/.test(secret)) throw new Error(`${flag}: "${path}" must hold one token on one line`);
  return secret;
}
