// Child-process plumbing for kernels: spawn in their own process group, log their output,
// signal the group, wait for exit.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import type { KernelSpec } from './kernelspec.ts';
import type { Logger } from './logger.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedKernel {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has exited (never rejects). */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
}

export interface SpawnKernelOptions {
  spec: KernelSpec;
  connectionFile: string;
  kernelId: string;
  logger: Logger;
  cwd?: string;
  env?: Record<string, string>;
}

export function expandArgv(spec: KernelSpec, connectionFile: string): string[] {
  return spec.argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile).replaceAll('{resource_dir}', spec.resourceDir));
}

export function spawnKernel(options: SpawnKernelOptions): Promise<SpawnedKernel> {
  const [command, ...args] = expandArgv(options.spec, options.connectionFile) as [string, ...string[]];
  const log = options.logger;
  // detached: the kernel leads its own process group, so an interrupt or kill reaches the
  // processes it started too, and a Ctrl-C meant for the server does not hit the kernel.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.spec.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  for (const [stream, level] of [[child.stdout, 'debug'], [child.stderr, 'info']] as const) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      log[level]({ kernelId: options.kernelId, pid: child.pid, stream: level === 'info' ? 'stderr' : 'stdout' }, line);
    });
  }
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      child.on('error', (error) => log.error({ err: error, kernelId: options.kernelId }, 'kernel process error'));
      const pid = child.pid;
      if (pid === undefined) {
        reject(new Error('spawned kernel has no pid'));
        return;
      }
      resolve({ child, pid, exited, hasExited: () => exitInfo !== undefined });
    });
  });
}

/** Signals the process group led by `pid`; false when no such group exists any more. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ESRCH') return false;
    throw error;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EPERM') return true;
    return false;
  }
}

/** Resolves true when `exited` settles within `ms`, false otherwise. */
export async function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
