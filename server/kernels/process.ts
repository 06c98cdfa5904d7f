// Child-process plumbing for kernels: spawn in their own process group, log their output,
// signal the group, wait for exit.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import type { KernelSpec } from './kernelspec.ts';
import { formatBytes } from './limits.ts';
import type { Logger } from './logger.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the out-of-memory killer ended the kernel: its memory limit, bytes. */
  outOfMemoryLimit?: number;
}

export interface SpawnedKernel {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has exited (never rejects). */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** What the process wrote to fd 4 until it closed it ('' without `readFd4`). */
  fd4: Promise<string>;
}

export interface SpawnKernelOptions {
  /** The whole command line (the kernel's, possibly wrapped by a sandbox and its limits). */
  argv: string[];
  env: Record<string, string>;
  kernelId: string;
  logger: Logger;
  cwd?: string;
  /** Written to the process's fd 3, which is then closed (bwrap's `--args 3`). */
  fd3?: Buffer;
  /** Collect what the process writes to its fd 4 (bwrap's `--info-fd 4`). */
  readFd4?: boolean;
}

export function expandArgv(spec: KernelSpec, connectionFile: string): string[] {
  return spec.argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile).replaceAll('{resource_dir}', spec.resourceDir));
}

export function spawnKernel(options: SpawnKernelOptions): Promise<SpawnedKernel> {
  const [command, ...args] = options.argv as [string, ...string[]];
  const log = options.logger;
  // detached: the kernel leads its own process group, so an interrupt or kill reaches the
  // processes it started too, and a Ctrl-C meant for the server does not hit the kernel.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', options.fd3 ? 'pipe' : 'ignore', options.readFd4 ? 'pipe' : 'ignore'],
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
  const fd3 = child.stdio[3] as NodeJS.WritableStream | null | undefined;
  if (options.fd3 && fd3) {
    // A process that exits before reading leaves a broken pipe: its exit is what reports that.
    fd3.on('error', (error) => log.debug({ err: error, kernelId: options.kernelId }, 'fd 3 of the kernel process closed early'));
    fd3.end(options.fd3);
  }
  const fd4 = readAll(child.stdio[4] as Readable | null | undefined);
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
      resolve({ child, pid, exited, hasExited: () => exitInfo !== undefined, fd4 });
    });
  });
}

function readAll(stream: Readable | null | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.once('end', () => resolve(text));
    stream.once('error', () => resolve(text));
  });
}

/** The name of a signal number (`9` → `SIGKILL`). */
export function signalName(signal: number): NodeJS.Signals | undefined {
  return (Object.keys(osConstants.signals) as NodeJS.Signals[]).find((name) => osConstants.signals[name] === signal);
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
  if (exit.outOfMemoryLimit !== undefined) return `out of memory (limit ${formatBytes(exit.outOfMemoryLimit)})`;
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
