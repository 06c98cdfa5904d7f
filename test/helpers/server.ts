// Starts the real Cohort server for a test: port 0, a temp data dir, a real LevelDB.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../server/config.ts';
import type { KernelKey } from '../../server/kernels/kernelKeys.ts';
import { defaultConfig, projectRoot } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import type { Logger } from '../../server/log.ts';
import type { CohortServer } from '../../server/server.ts';
import { startCohort } from '../../server/server.ts';
import { eventually } from './eventually.ts';
import { startJupyterServer } from './jupyterServer.ts';
import type { JupyterServer } from './jupyterServer.ts';

/**
 * Where test servers' kernels run: `local` (sandboxed processes, the default) or `gateway`
 * (COHORT_TEST_KERNELS=gateway: on a real Jupyter Server started for each test server). The
 * `*-gateway.test.ts` files set it and then run a suite's very tests.
 */
export const testKernels: 'local' | 'gateway' = process.env.COHORT_TEST_KERNELS === 'gateway' ? 'gateway' : 'local';

export interface TestServer {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  adminToken: string;
  server: CohortServer;
  /** The remote kernel engine, when kernels run on one (testKernels === 'gateway'). */
  engine: JupyterServer | undefined;
  /** The host pid of `key`'s kernel process, wherever it runs (here, or under the engine). */
  kernelPid(key: KernelKey): number | undefined;
  createUser(name: string): Promise<{ id: string; token: string }>;
  api: (token: string) => Api;
  close(): Promise<void>;
}

export type Api = <T = unknown>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;

export function tempDir(prefix = 'cohort-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    port: 0,
    dataDir: overrides.dataDir ?? tempDir(),
    adminToken: 'admin-test-token',
    poolSize: 0,
    roomIdleMs: 100,
    logLevel: process.env.COHORT_TEST_LOG ?? 'silent',
    ...overrides,
  };
}

export function apiClient(url: string, token: string): Api {
  return async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (exports): keep the text
    }
    return { status: res.status, body: parsed as never };
  };
}

export async function startTestServer(overrides: Partial<Config> = {}, options: { log?: Logger } = {}): Promise<TestServer> {
  const engine = testKernels === 'gateway' && overrides.kernelGatewayUrl === undefined ? await startJupyterServer() : undefined;
  const config = testConfig(engine ? { kernelGatewayUrl: engine.url, kernelGatewayToken: engine.token, ...overrides } : overrides);
  const ownsDir = overrides.dataDir === undefined;
  let server: CohortServer;
  try {
    server = await startCohort(config, options.log ?? createLogger(config.logLevel));
  } catch (error) {
    await engine?.stop();
    throw error;
  }
  const adminToken = config.adminToken!;
  const url = server.url;
  const admin = apiClient(url, adminToken);
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/sync',
    port: server.port,
    dataDir: config.dataDir,
    adminToken,
    server,
    engine,
    kernelPid(key) {
      const kernel = server.kernels.get(key)?.kernel;
      if (!kernel) return undefined;
      return engine ? engine.kernelPid(kernel.id) : kernel.pid;
    },
    api: (token) => apiClient(url, token),
    async createUser(name) {
      const res = await admin<{ id: string; token: string }>('POST', '/api/users', { name });
      if (res.status !== 201) throw new Error(`creating user ${name} failed: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async close() {
      await server.close();
      await engine?.stop();
      if (ownsDir) rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** The server as its own process (`npm start`'s entry), for crash and signal tests. */
export async function spawnServer(
  dataDir: string,
  extraArgs: string[] = [],
  options: { env?: Record<string, string>; /** A command the server runs under, e.g. setpriv to another uid. */ prefix?: string[] } = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const [command, ...args] = [
    ...(options.prefix ?? []),
    process.execPath,
    '--import', 'tsx', join(projectRoot, 'server/main.ts'), '--port', '0', '--data-dir', dataDir, '--pool-size', '0', ...extraArgs,
  ] as [string, ...string[]];
  // The token by environment, as the README says: never on a command line.
  const env = { ...process.env, COHORT_ADMIN_TOKEN: 'admin-test-token', ...options.env };
  const child = spawn(command, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': by then all the output has been read (a refusal's message included).
  let exited: string | undefined;
  child.once('close', (code, signal) => (exited = signal ? `killed by ${signal}` : `code ${code}`));
  let url: string | undefined;
  try {
    await eventually(() => exited ?? (url = /"url":"(http:[^"]+)"/.exec(out)?.[1]), {
      // Generous: on a busy machine tsx compiles the server slowly (20 s seen), LevelDB may replay a
      // long log, and the kernel sandbox is tried out first.
      timeoutMs: 60_000,
      message: 'server process did not print its URL',
    });
    if (url === undefined) throw new Error(`the server exited (${exited}) before listening:\n${out}`);
    return { child, url, output: () => out };
  } catch (err) {
    // A server left running would keep the test file's process (and its kernels) alive.
    child.kill('SIGKILL');
    throw exited && url === undefined ? err : new Error(`${(err as Error).message}\n${out}`);
  }
}
