// The bubblewrap command line of one kernel's sandbox (bwrap(1)). The kernel gets its own user
// (or, under a root server, an unprivileged uid), PID, IPC, UTS, cgroup and (by default) network
// namespace and mount namespace, in which it sees:
//   read-only  /usr, /etc, the /bin /lib… links, the project's Python folder, the kernelspec's
//              resource dir and interpreter prefix (at their host paths, so kernelspecs work as is)
//   private    /tmp and /dev/shm (tmpfs, charged to the kernel's memory limit), /proc of its own
//              PID namespace, a minimal /dev
//   read-write its home at /home/cohort (working directory) and its socket dir at /run/kernel
//   its notebook's files at /notebook: read-only, read-write for the notebook's shared kernel
// and nothing else: the root itself is read-only, so not even an empty folder can be made there.
import { spawn } from 'node:child_process';
import { lstat, readlink } from 'node:fs/promises';

import { isObject } from './messageShapes.ts';

export const SANDBOX_HOME = '/home/cohort';
export const SANDBOX_RUN_DIR = '/run/kernel';
export const SANDBOX_TMP = '/tmp';
/** Where a kernel sees its notebook's files (see server/files/). */
export const SANDBOX_NOTEBOOK_FILES = '/notebook';

/** A top-level entry of the host's root that programs expect (`/lib` → `usr/lib` on merged-/usr systems). */
export interface RootEntry {
  path: string;
  /** Symlink target when the entry is a symlink; bound read-only when it is a directory. */
  link?: string;
}

export interface BwrapPlan {
  /**
   * Set when the server runs as root: bwrap then runs privileged without a user namespace (a user
   * namespace made by root maps the kernel to root on the host) and the kernel drops to this uid
   * with setpriv(1) before it starts, keeping no capability. Unset: bwrap maps the server's own
   * unprivileged uid in a user namespace, and the sandbox may not make further user namespaces.
   */
  dropTo: { uid: number; gid: number } | undefined;
  /**
   * Set when bwrap runs as root of a user namespace that is not the host's (the mount helper's of
   * a server that is not root): the sandbox gets a user namespace of its own again, with these
   * ids inside, mapped to that root, i.e. to the server's uid on the host.
   */
  mapTo?: { uid: number; gid: number } | undefined;
  network: 'none' | 'host';
  rootEntries: RootEntry[];
  /** Host directories bound read-only at the same path. */
  readOnly: string[];
  /** Host directory bound read-write at /run/kernel: the connection file and the sockets. */
  runDir: string;
  /** Host directory bound read-write at /home/cohort. */
  home: string;
  /** Host directory bound at /notebook: the notebook's files (writable for its shared kernel only). */
  notebookFiles?: { dir: string; writable: boolean } | undefined;
  env: Record<string, string>;
  /** The kernel's command line, with paths as the sandbox sees them. */
  argv: string[];
}

export interface BwrapCommand {
  /** Options handed to bwrap through `--args <fd>`: they hold host paths, which the sandbox's own /proc/1/cmdline would otherwise show. */
  options: string[];
  /** What bwrap runs, after the options, on its command line. */
  command: string[];
}

export const SETPRIV = '/usr/bin/setpriv';
export const SETSID = '/usr/bin/setsid';

export function bwrapCommand(plan: BwrapPlan): BwrapCommand {
  const options = [
    '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try',
    ...(plan.network === 'none' ? ['--unshare-net'] : []),
    ...(plan.dropTo
      ? ['--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID']
      : ['--unshare-user', '--disable-userns', ...(plan.mapTo ? ['--uid', String(plan.mapTo.uid), '--gid', String(plan.mapTo.gid), '--cap-drop', 'ALL'] : [])]),
    // The sandbox's init gets SIGKILL when bwrap (or the server, its parent) dies; the PID
    // namespace then ends every process in it, whatever session or group it put itself in.
    '--die-with-parent',
    // No controlling terminal to push keystrokes into; the kernel leads its own process group.
    '--new-session',
    '--hostname', 'kernel',
    '--ro-bind', '/usr', '/usr',
    ...plan.rootEntries.flatMap((entry) => (entry.link ? ['--symlink', entry.link, entry.path] : ['--ro-bind', entry.path, entry.path])),
    '--ro-bind', '/etc', '/etc',
    '--proc', '/proc',
    '--dev', '/dev',
    '--perms', '1777', '--tmpfs', SANDBOX_TMP,
    '--perms', '1777', '--tmpfs', '/dev/shm',
    ...readOnlyBindsWithParents(plan.readOnly),
    '--perms', '0755', '--dir', '/run',
    '--bind', plan.runDir, SANDBOX_RUN_DIR,
    '--perms', '0755', '--dir', '/home',
    '--bind', plan.home, SANDBOX_HOME,
    ...(plan.notebookFiles ? ['--perms', '0755', '--dir', SANDBOX_NOTEBOOK_FILES, plan.notebookFiles.writable ? '--bind' : '--ro-bind', plan.notebookFiles.dir, SANDBOX_NOTEBOOK_FILES] : []),
    '--chdir', SANDBOX_HOME,
    '--clearenv',
    ...Object.entries(plan.env).flatMap(([name, value]) => ['--setenv', name, value]),
    // Last: everything above was made on the sandbox's root; from here on it is read-only.
    '--remount-ro', '/',
  ];
  // The kernel leads a session and process group of its own (the sandbox's init leads the one
  // --new-session made), so an interrupt to its group reaches it and what it started, as
  // jupyter_client's does, and never the init. setsid(1) does not fork here: the kernel is not a
  // group leader when it runs it.
  const kernel = [SETSID, ...plan.argv];
  const command = plan.dropTo
    ? [SETPRIV, `--reuid=${plan.dropTo.uid}`, `--regid=${plan.dropTo.gid}`, '--clear-groups', '--inh-caps=-all', '--', ...kernel]
    : kernel;
  return { options, command };
}

/**
 * Read-only binds at the host paths, each after its parent directories: bwrap would make missing
 * parents 0700 root, which the kernel's uid could not pass.
 */
function readOnlyBindsWithParents(paths: string[]): string[] {
  const made = new Set<string>();
  const options: string[] = [];
  for (const path of readOnlyBinds(paths)) {
    const parts = path.split('/').filter(Boolean);
    for (let depth = 1; depth < parts.length; depth++) {
      const parent = `/${parts.slice(0, depth).join('/')}`;
      if (made.has(parent)) continue;
      made.add(parent);
      options.push('--perms', '0755', '--dir', parent);
    }
    options.push('--ro-bind', path, path);
  }
  return options;
}

/** Extra read-only paths, minus what /usr and /etc already show and paths inside another one. */
function readOnlyBinds(paths: string[]): string[] {
  const covered = (path: string, by: string) => path === by || path.startsWith(`${by}/`);
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const path of sorted) {
    if (covered(path, '/usr') || covered(path, '/etc')) continue;
    if (kept.some((parent) => covered(path, parent))) continue;
    kept.push(path);
  }
  return kept;
}

/** The host's /bin, /sbin, /lib… as they are (symlinks into /usr on Debian 12, directories elsewhere). */
export async function hostRootEntries(): Promise<RootEntry[]> {
  const entries: RootEntry[] = [];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stat = await lstat(path);
      if (stat.isSymbolicLink()) entries.push({ path, link: await readlink(path) });
      else if (stat.isDirectory()) entries.push({ path });
    } catch (error) {
      if (!(isObject(error) && error.code === 'ENOENT')) throw error;
    }
  }
  return entries;
}

/** NUL-separated, as `--args <fd>` reads them. */
export function encodeArgs(options: string[]): Buffer {
  return Buffer.from(options.map((option) => `${option}\0`).join(''), 'utf8');
}

/** Runs bwrap (`launcher`: bwrap, maybe entered through nsenter) with its options on fd 3, as kernels are started; resolves when it exits with 0. */
export function runBwrap(launcher: string[], options: string[], command: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = launcher as [string, ...string[]];
    const child = spawn(program, [...args, '--args', '3', ...command], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const fd3 = child.stdio[3] as NodeJS.WritableStream | null;
    fd3?.on('error', () => undefined); // an early exit is reported by the exit code below
    fd3?.end(encodeArgs(options));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(stderr.trim() || `bwrap ${signal ? `killed by ${signal}` : `exited with code ${code}`}`));
    });
  });
}
