// The command line and environment turned into a Config. Precedence: command-line flag >
// environment variable > default. Tokens are refused on the command line.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import type { Config } from './config.ts';
import { defaultConfig, projectRoot } from './config.ts';
import { normalizeBaseUrl, parseTrustProxy, readInt, readSecretFile, readUrl, readUser } from './configValues.ts';

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
  'kernel-gateway-url': { env: 'COHORT_KERNEL_GATEWAY_URL', kind: 'url', key: 'kernelGatewayUrl' },
  'kernel-gateway-token-file': { env: 'COHORT_KERNEL_GATEWAY_TOKEN_FILE', kind: 'secretFile', key: 'kernelGatewayToken' },
} as const;

/** The admin token's environment variable; it has no flag of its own (see `loadConfig`). */
export const ADMIN_TOKEN_ENV = 'COHORT_ADMIN_TOKEN';

/** The kernel gateway token's environment variable (a file works too: --kernel-gateway-token-file). */
export const GATEWAY_TOKEN_ENV = 'COHORT_KERNEL_GATEWAY_TOKEN';

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
  if (argv.some((arg) => arg === '--kernel-gateway-token' || arg.startsWith('--kernel-gateway-token='))) {
    throw new Error(
      `--kernel-gateway-token is not accepted on the command line, where every local user can read it; ` +
        `set ${GATEWAY_TOKEN_ENV} or use --kernel-gateway-token-file <path>`,
    );
  }
  const gatewayToken = env[GATEWAY_TOKEN_ENV];
  if (gatewayToken !== undefined && gatewayToken !== '') config.kernelGatewayToken = gatewayToken;
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
      case 'int': Object.assign(config, { [key]: readInt(`--${flag}`, raw) }); break;
      case 'seconds': Object.assign(config, { [key]: readInt(`--${flag}`, raw) * 1000 }); break;
      case 'path': Object.assign(config, { [key]: resolve(raw) }); break;
      case 'url': Object.assign(config, { [key]: readUrl(`--${flag}`, raw) }); break;
      case 'list': Object.assign(config, { [key]: raw.split(',').map((s) => s.trim()).filter(Boolean) }); break;
      case 'baseUrl': Object.assign(config, { [key]: normalizeBaseUrl(raw) }); break;
      case 'trustProxy': Object.assign(config, { [key]: parseTrustProxy(raw) }); break;
      case 'secretFile': Object.assign(config, { [key]: readSecretFile(`--${flag}`, raw) }); break;
      case 'mib': Object.assign(config, { [key]: readInt(`--${flag}`, raw) * 2 ** 20 }); break;
      case 'user': Object.assign(config, { [key]: readUser(`--${flag}`, raw) }); break;
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
