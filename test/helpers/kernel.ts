// Shared pieces of the kernel tests: the real python3 kernelspec, a capturing logger, temp
// data dirs that are removed afterwards, and output collection for a request.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

import type { KernelSpec } from '../../server/kernels/kernelspec.ts';
import { resolveKernelSpec } from '../../server/kernels/kernelspec.ts';
import type { Logger } from '../../server/kernels/logger.ts';
import type { KernelMessage } from '../../server/kernels/messages.ts';
import { mountPointsUnder } from '../../server/kernels/mounts.ts';
import type { KernelRequest } from '../../server/kernels/request.ts';
import { KernelSandbox } from '../../server/kernels/sandbox.ts';
import { DEFAULT_SANDBOX_SETTINGS } from '../../server/kernels/sandboxSettings.ts';
import type { SandboxSettings } from '../../server/kernels/sandboxSettings.ts';

export const REPO_JUPYTER_DIR = resolve(import.meta.dirname, '../../.jupyter');

export interface LogEntry {
  level: keyof Logger;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A logger that keeps every entry; set KERNEL_TEST_LOG=1 to also print them. */
export function captureLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const print = process.env.KERNEL_TEST_LOG === '1';
  const at = (level: keyof Logger) => (obj: Record<string, unknown>, msg?: string) => {
    entries.push({ level, obj, msg });
    if (print) console.error(`[${level}] ${msg ?? ''}`, obj);
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The python3 kernelspec the server would use (the project's .jupyter first, then the system's). */
export function python3Spec(logger: Logger): Promise<KernelSpec> {
  return resolveKernelSpec('python3', { extraDirs: [REPO_JUPYTER_DIR], logger });
}

export const PROJECT_PYTHON_DIR = resolve(import.meta.dirname, '../../.python');

/** The sandbox the server would use (bwrap unless overridden), for kernels launched directly. */
export function testSandbox(dataDir: string, logger: Logger, overrides: Partial<SandboxSettings> = {}): Promise<KernelSandbox> {
  return KernelSandbox.create(dataDir, { ...DEFAULT_SANDBOX_SETTINGS, readOnlyPaths: [PROJECT_PYTHON_DIR], ...overrides }, logger);
}

/** A fresh temp directory, removed when the test ends. */
export async function tempDataDir(t: Pick<TestContext, 'after'>, prefix = 'cohort-kernels-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => removeDataDir(dir));
  return dir;
}

/**
 * Removes a test's data directory. A kernel whose stop is still under way (after hooks run in the
 * order they were added, so before the kernel's) may still have a home bound in it; a recursive
 * removal must never walk into a bound home, so mounts are detached first.
 */
export async function removeDataDir(dir: string): Promise<void> {
  for (const point of (await mountPointsUnder(dir)).reverse()) {
    try {
      execFileSync('umount', ['--lazy', point], { stdio: 'pipe' });
    } catch (error) {
      // The kernel's own stop, still under way, may have detached it meanwhile (a pool-style
      // kernel has two placeholders: its home and /notebook).
      if ((await mountPointsUnder(dir)).includes(point)) throw error;
    }
  }
  await rm(dir, { recursive: true, force: true });
}

/** Every iopub message of a request, collected until it is done. */
export function collectIopub(request: KernelRequest): KernelMessage[] {
  const seen: KernelMessage[] = [];
  request.onIopub((msg) => seen.push(msg));
  return seen;
}

/** True when no process with that pid exists (signal 0 fails with ESRCH). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'ESRCH';
  }
}

/**
 * Gone, or a zombie: a killed orphan is reparented to pid 1, which in a container may never reap
 * it, so it can linger as a zombie although it no longer runs.
 */
export function processEnded(pid: number): boolean {
  if (processGone(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Resolves once the request's user code printed something, i.e. certainly runs. ipykernel ignores
 * SIGINT before entering its handler and, in the handler but outside user code, drops the reply
 * when interrupted; only an interrupt that lands in user code gives the KeyboardInterrupt reply.
 * Code under test prints (with flush=True) before the part to be interrupted.
 */
export function startedRunning(request: KernelRequest, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`request printed nothing within ${timeoutMs} ms`)), timeoutMs);
    request.onIopub((msg) => {
      if (msg.header.msg_type !== 'stream') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Kernel processes (not their bwrap sandboxes) that belong to one of `dirs`: the directory is on
 * the command line (no sandbox) or among its mounts (a sandboxed kernel sees its directories
 * under other names). For checks that a test left no kernel running.
 */
export function kernelProcessesUsing(dirs: string[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string;
    let mounts: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmd.includes('ipykernel') || /^\S*bwrap /.test(cmd)) continue;
      mounts = readFileSync(`/proc/${name}/mountinfo`, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ESRCH')) continue;
      throw error;
    }
    if (processEnded(Number(name))) continue;
    if (dirs.some((dir) => cmd.includes(dir) || mounts.includes(dir))) found.push(`${name} ${cmd}`);
  }
  return found;
}
