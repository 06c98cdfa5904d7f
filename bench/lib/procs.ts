// Process bookkeeping for benchmarks: free ports, temp dirs that tag every kernel a benchmark
// starts (their connection files live there), CPU and RSS of a process tree read from /proc.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every benchmark temp dir starts with this, so leftover kernels can be told from others'. */
export const BENCH_TMP_PREFIX = join(tmpdir(), 'cohort-bench-');

export function benchDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(`${BENCH_TMP_PREFIX}${label}-`);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface ProcInfo {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  state: string;
}

function readStat(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // The process ended between the directory listing and this read.
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ESRCH')) return undefined;
    throw error;
  }
  // Fields after the command name, which is in parentheses and may contain spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

function allProcs(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
}

/** The pid and all its descendants that are still running (zombies excluded). */
export function processTree(root: number): number[] {
  const procs = allProcs().filter((p) => p.state !== 'Z');
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const stack = procs.some((p) => p.pid === root) ? [root] : [];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * A bench that ends early — an exception, SIGTERM, its output piped to `head` that closed — must not
 * leave a server it spawned, or that server's kernels, behind: as this process exits, the child's
 * whole process tree gets SIGTERM (read from /proc, which works inside an `exit` handler). A SIGTERM
 * to the bench itself would otherwise end it without an `exit` event.
 */
export function stopWithThisProcess(child: ChildProcess): void {
  const stop = () => {
    for (const pid of processTree(child.pid!)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Gone meanwhile.
      }
    }
  };
  process.once('exit', stop);
  child.once('exit', () => process.off('exit', stop));
  if (process.listenerCount('SIGTERM') === 0) process.once('SIGTERM', () => process.exit(143));
}

/** Resident memory of one process, MiB (0 when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 0;
    throw error;
  }
}

export function treeRssMiB(root: number): { total: number; rootOnly: number; others: number; count: number } {
  const pids = processTree(root);
  const rootOnly = rssMiB(root);
  const total = pids.reduce((s, pid) => s + rssMiB(pid), 0);
  return { total, rootOnly, others: total - rootOnly, count: pids.length - 1 };
}

/** CPU seconds (user + system) used so far by one process. */
export function cpuSeconds(pid: number): number {
  const info = readStat(pid);
  // Linux reports ticks at USER_HZ, which is 100 on every architecture Node runs on.
  return info ? info.cpuTicks / 100 : Number.NaN;
}

/** The command line of a process, '' when it is gone. */
function cmdlineOf(pid: number | string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ESRCH')) return '';
    throw error;
  }
}

/** A kernel process itself: ipykernel on its command line, and not the bwrap sandbox that runs it. */
function isKernelProcess(cmd: string): boolean {
  return cmd.includes('ipykernel') && !/^\S*bwrap /.test(cmd);
}

/** True when the process's command line or (sandboxed: its mounts) mention `dir`. */
function usesDir(pid: number | string, cmd: string, dir: string): boolean {
  if (cmd.includes(dir)) return true;
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(dir);
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ESRCH' || error.code === 'EACCES')) return false;
    throw error;
  }
}

/** Kernel processes started in a benchmark temp dir (i.e. ours, not others'), sandboxed or not. */
export function benchKernels(): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = cmdlineOf(d);
    if (!isKernelProcess(cmd) || !usesDir(d, cmd, BENCH_TMP_PREFIX)) continue;
    const info = readStat(Number(d));
    if (info && info.state !== 'Z') out.push({ pid: Number(d), cmd });
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a value, or throws after the deadline. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string, intervalMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Running kernel processes below a pid (a server's kernels; a sandbox's bwrap processes are not counted). */
export function kernelsUnder(root: number): number[] {
  return processTree(root).filter((pid) => pid !== root && isKernelProcess(cmdlineOf(pid)));
}

/** Waits until the processes used (almost) no CPU for a while: started kernels have settled. */
export async function waitQuiet(pids: () => number[], { windowMs = 500, maxCpuShare = 0.05, timeoutMs = 60_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = pids().reduce((s, pid) => s + (cpuSeconds(pid) || 0), 0);
    await sleep(windowMs);
    const used = pids().reduce((s, pid) => s + (cpuSeconds(pid) || 0), 0) - before;
    if (used <= (maxCpuShare * windowMs) / 1000) return;
    if (Date.now() > deadline) throw new Error(`processes still busy after ${timeoutMs} ms`);
  }
}

/** The promise, or an error once `ms` passed. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
