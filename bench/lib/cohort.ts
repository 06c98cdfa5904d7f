// Cohort for a benchmark: as a child process (so its CPU and memory are separable from the
// clients') or in-process (to watch its event loop), plus the few REST calls the benchmarks make.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { defaultConfig, projectRoot } from '../../server/config.ts';
import type { Config } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { startCohort } from '../../server/server.ts';
import type { CohortServer } from '../../server/server.ts';
import type { Notebook } from '../../shared/nbformat.ts';
import { processTree, stopWithThisProcess, waitFor } from './procs.ts';

export const ADMIN_TOKEN = 'bench-admin-token';

export interface CohortHandle {
  url: string;
  wsUrl: string;
  /** The server process (this process when in-process). */
  pid: number;
  stop(): Promise<void>;
}

export interface SpawnedCohort extends CohortHandle {
  child: ChildProcess;
  output(): string;
}

/** `npm start`'s entry as a child process on a free port. */
let bundle: string | undefined;

/** What `npm start` runs: the server bundled into dist/server/main.mjs, built once per benchmark process. */
function serverBundle(): string {
  if (!bundle) {
    // Its own output file: tests may build dist/server/main.mjs at the same moment.
    const out = join(projectRoot, 'dist/bench-server/main.mjs');
    const build = spawnSync('npm', ['run', '--silent', 'build:server', '--', `--outfile=${out}`], { cwd: projectRoot, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build:server failed: ${build.stderr}`);
    bundle = out;
  }
  return bundle;
}

export async function spawnCohort(dataDir: string, extraArgs: string[] = []): Promise<SpawnedCohort> {
  const child = spawn(
    process.execPath,
    [serverBundle(), '--port', '0', '--data-dir', dataDir,
      '--log-level', 'warn', '--pool-size', '0', ...extraArgs],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COHORT_ADMIN_TOKEN: ADMIN_TOKEN } },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  stopWithThisProcess(child);
  const url = await waitFor(() => {
    if (exited) throw new Error(`cohort exited while starting:\n${out}`);
    return /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  }, 30_000, 'the cohort server to print its URL', 20);
  const pid = child.pid!;
  let stopping: Promise<void> | undefined;
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/sync',
    pid,
    child,
    output: () => out,
    stop: () => (stopping ??= stopChild(child, exit, () => exited)),
  };
}

/** SIGTERM (Cohort shuts its kernels down), then SIGKILL for the whole tree after a deadline. */
export async function stopChild(child: ChildProcess, exit: Promise<void>, exited: () => boolean, graceMs = 20_000): Promise<void> {
  if (exited()) return;
  const tree = processTree(child.pid!);
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([exit, timer])) === 'timeout') {
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
      }
    }
    await exit;
    throw new Error(`process ${child.pid} did not stop within ${graceMs} ms after SIGTERM; killed its tree`);
  }
}

/** Cohort inside this process, for measurements of its own event loop. */
export async function inProcessCohort(dataDir: string, overrides: Partial<Config> = {}): Promise<CohortHandle & { server: CohortServer }> {
  const config: Config = { ...defaultConfig(), port: 0, dataDir, adminToken: ADMIN_TOKEN, poolSize: 0, logLevel: 'warn', ...overrides };
  const server = await startCohort(config, createLogger(config.logLevel));
  return { url: server.url, wsUrl: server.url.replace(/^http/, 'ws') + '/sync', pid: process.pid, server, stop: () => server.close() };
}

// ---- REST ------------------------------------------------------------------------------------

export async function call<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function ok<T>(what: string, p: Promise<{ status: number; body: T }>): Promise<T> {
  const res = await p;
  if (res.status >= 300) throw new Error(`${what} failed with ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface BenchUser {
  id: string;
  token: string;
}

export const createUser = (url: string, name: string): Promise<BenchUser> =>
  ok(`creating user ${name}`, call<BenchUser>(url, ADMIN_TOKEN, 'POST', '/api/users', { name }));

export const createNotebook = async (url: string, token: string, name: string, notebook: Notebook): Promise<string> =>
  (await ok(`creating notebook ${name}`, call<{ id: string }>(url, token, 'POST', '/api/notebooks', { name, notebook }))).id;

export const addMember = (url: string, token: string, notebookId: string, userId: string, role: string): Promise<unknown> =>
  ok(`adding ${userId} to ${notebookId}`, call(url, token, 'PUT', `/api/notebooks/${notebookId}/members/${userId}`, { role }));

/** Starts a run without waiting for it (202); the outputs arrive through the documents. */
export const startRun = (url: string, token: string, notebookId: string, cellIds: string[]): Promise<unknown> =>
  ok('execute', call(url, token, 'POST', `/api/notebooks/${notebookId}/execute`, { cellIds }));

export interface RunAnswer {
  cellId: string;
  status: string;
  outputs: Array<{ output_type: string; data?: Record<string, unknown>; text?: string }>;
}

export const runAndWait = async (url: string, token: string, notebookId: string, cellIds: string[]): Promise<RunAnswer[]> =>
  (await ok('execute?wait=true', call<{ runs: RunAnswer[] }>(url, token, 'POST', `/api/notebooks/${notebookId}/execute?wait=true`, { cellIds }))).runs;

export function codeCell(id: string, source: string) {
  return { cell_type: 'code' as const, id, source, metadata: {}, outputs: [], execution_count: null };
}

export { notebookOf } from '../../shared/schema.ts';
