// Control groups for kernels: each kernel gets its own group with a memory limit and a process
// limit, the kernel's out-of-memory kills are counted there, and everything a kernel started
// (setsid or not) can be found there and killed. cgroup v1 (separate `memory` and `pids`
// hierarchies, as on this machine) and cgroup v2 (one unified hierarchy, as under systemd) are
// both handled. Where neither can be written, detectCgroups answers undefined and the caller falls
// back to rlimits.
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from './logger.ts';
import { isObject } from './messageShapes.ts';

export interface CgroupSupport {
  version: 1 | 2;
  /** v1: the server's own group in the memory and the pids hierarchy; v2: the delegated parent. */
  parents: string[];
}

export interface CgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
}

interface MountEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** Mount points as /proc/self/mountinfo lists them (octal escapes such as `\040` decoded). */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    if (fields.length < 5 || !fsType) continue;
    entries.push({ root: unescapeMountPath(fields[3]!), mountPoint: unescapeMountPath(fields[4]!), fsType, superOptions: (superOptions ?? '').split(',') });
  }
  return entries;
}

export function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** `/proc/self/cgroup`: hierarchy controllers → the process's path in it ('' for the v2 line). */
function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    for (const controller of match[1]!.split(',')) paths.set(controller, match[2]!);
  }
  return paths;
}

/** Where the process's own group of a hierarchy is, as a directory. */
function ownGroupDir(mount: MountEntry, path: string): string {
  if (mount.root === '/') return join(mount.mountPoint, path);
  // The mount shows only part of the hierarchy (a bind of a subtree, or a cgroup namespace).
  if (path === mount.root || path.startsWith(`${mount.root}/`)) return join(mount.mountPoint, path.slice(mount.root.length));
  return mount.mountPoint;
}

/**
 * Finds cgroups this process may create kernel groups in; undefined when there are none (not
 * Linux, not root and nothing delegated, or a v2 hierarchy without memory and pids controllers).
 * Detection may move this process into a leaf group of its own (cgroup v2: a group holding
 * processes cannot also hand controllers to child groups), so its answer is kept per process.
 */
export function detectCgroups(logger: Logger): Promise<CgroupSupport | undefined> {
  return (detected ??= detect(logger));
}
let detected: Promise<CgroupSupport | undefined> | undefined;

async function detect(logger: Logger): Promise<CgroupSupport | undefined> {
  let mounts: MountEntry[];
  let own: Map<string, string>;
  try {
    mounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
    own = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'));
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
  const v1 = await detectV1(mounts, own, logger);
  if (v1) return v1;
  return detectV2(mounts, own, logger);
}

async function detectV1(mounts: MountEntry[], own: Map<string, string>, logger: Logger): Promise<CgroupSupport | undefined> {
  const parents: string[] = [];
  for (const controller of ['memory', 'pids']) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    const path = own.get(controller);
    if (!mount || path === undefined) return undefined;
    parents.push(ownGroupDir(mount, path));
  }
  const support: CgroupSupport = { version: 1, parents };
  return (await canCreateGroup(support, logger)) ? support : undefined;
}

async function detectV2(mounts: MountEntry[], own: Map<string, string>, logger: Logger): Promise<CgroupSupport | undefined> {
  const mount = mounts.find((m) => m.fsType === 'cgroup2');
  const path = own.get('');
  if (!mount || path === undefined) return undefined;
  const dir = ownGroupDir(mount, path);
  const controllers = (await readOptional(join(dir, 'cgroup.controllers')))?.split(/\s+/) ?? [];
  if (!controllers.includes('memory') || !controllers.includes('pids')) return undefined;
  const support: CgroupSupport = { version: 2, parents: [dir] };
  const enabled = (await readOptional(join(dir, 'cgroup.subtree_control')))?.split(/\s+/) ?? [];
  if (enabled.includes('memory') && enabled.includes('pids')) return (await canCreateGroup(support, logger)) ? support : undefined;
  // Delegation as systemd's Delegate=yes expects it: the server moves into a leaf of its own
  // group, then the group hands memory and pids to its children (the kernels' groups).
  const leaf = join(dir, 'cohort-server');
  try {
    await mkdir(leaf, { recursive: true });
    await writeFile(join(leaf, 'cgroup.procs'), String(process.pid));
    await writeFile(join(dir, 'cgroup.subtree_control'), '+memory +pids');
  } catch (error) {
    logger.debug({ err: error, dir }, 'cannot delegate cgroup v2 controllers to kernel groups');
    await writeFile(join(dir, 'cgroup.procs'), String(process.pid)).catch(() => undefined);
    await rmdir(leaf).catch(() => undefined);
    return undefined;
  }
  return (await canCreateGroup(support, logger)) ? support : undefined;
}

async function canCreateGroup(support: CgroupSupport, logger: Logger): Promise<boolean> {
  let group: KernelCgroup | undefined;
  try {
    group = await KernelCgroup.create(support, `cohort-probe-${process.pid}-${randomBytes(4).toString('hex')}`, { memoryBytes: 64 * 2 ** 20, maxProcesses: 8 });
    return true;
  } catch (error) {
    logger.debug({ err: error, parents: support.parents }, `cgroup v${support.version} is not writable here`);
    return false;
  } finally {
    await group?.remove().catch(() => undefined);
  }
}

/** One kernel's group (v1: one directory per hierarchy; v2: one directory). */
export class KernelCgroup {
  private constructor(
    readonly version: 1 | 2,
    /** Memory hierarchy first (v1), then pids. */
    readonly dirs: string[],
  ) {}

  /** The directories a kernel named `name` gets, without creating them (for its record). */
  static paths(support: CgroupSupport, name: string): string[] {
    return support.parents.map((parent) => join(parent, name));
  }

  /** Re-opens the group of a record (orphan clean-up). */
  static fromPaths(version: 1 | 2, dirs: string[]): KernelCgroup {
    return new KernelCgroup(version, dirs);
  }

  static async create(support: CgroupSupport, name: string, limits: CgroupLimits): Promise<KernelCgroup> {
    const group = new KernelCgroup(support.version, KernelCgroup.paths(support, name));
    try {
      for (const dir of group.dirs) await mkdir(dir);
      // 0 means no limit: the new group inherits none.
      const [memory, pids] = (support.version === 1 ? group.dirs : [group.dirs[0], group.dirs[0]]) as [string, string];
      if (limits.memoryBytes > 0) {
        const bytes = String(limits.memoryBytes);
        if (support.version === 1) {
          await writeFile(join(memory, 'memory.limit_in_bytes'), bytes);
          // With swap accounting on, memory+swap gets the same limit: swap must not extend memory.
          await writeIfPresent(join(memory, 'memory.memsw.limit_in_bytes'), bytes);
        } else {
          await writeFile(join(memory, 'memory.max'), bytes);
          await writeIfPresent(join(memory, 'memory.swap.max'), '0');
        }
      }
      if (limits.maxProcesses > 0) await writeFile(join(pids, 'pids.max'), String(limits.maxProcesses));
    } catch (error) {
      await group.remove().catch(() => undefined);
      throw error;
    }
    return group;
  }

  /** Files to write a process's pid into so that it (and all it forks later) joins the group. */
  get procsFiles(): string[] {
    return this.dirs.map((dir) => join(dir, 'cgroup.procs'));
  }

  /** How many times the kernel's out-of-memory killer struck in this group. */
  async oomKills(): Promise<number> {
    const [memory] = this.dirs as [string];
    const text = await readOptional(join(memory, this.version === 1 ? 'memory.oom_control' : 'memory.events'));
    return Number(/^oom_kill (\d+)$/m.exec(text ?? '')?.[1] ?? 0);
  }

  /** Pids of the processes in the group, live ones only. */
  async pids(): Promise<number[]> {
    const all = new Set<number>();
    for (const dir of this.dirs) {
      const text = await readOptional(join(dir, 'cgroup.procs'));
      for (const line of (text ?? '').split('\n')) if (line) all.add(Number(line));
    }
    return [...all];
  }

  /**
   * Kills every process in the group and waits until it is empty. Rounds repeat because a process
   * may fork between the listing and its kill; the process limit bounds how many it can make.
   */
  async killAll(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = await this.pids();
      if (pids.length === 0) return true;
      if (Date.now() > deadline) return false;
      if (this.version === 2 && (await writeIfPresent(join(this.dirs[0]!, 'cgroup.kill'), '1'))) {
        // cgroup.kill (Linux 5.14+) kills the whole group at once, forks in flight included.
      } else {
        for (const pid of pids) killQuietly(pid);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills what is left and removes the group's directories; missing ones are fine. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const dir of this.dirs) {
      // A killed process leaves the group when it has exited; rmdir says EBUSY until then.
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          if (isObject(error) && error.code === 'ENOENT') break;
          if (!(isObject(error) && error.code === 'EBUSY') || attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if (!(isObject(error) && error.code === 'ESRCH')) throw error;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isObject(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** Writes a control file when the kernel offers it; false when it does not exist. */
async function writeIfPresent(path: string, value: string): Promise<boolean> {
  try {
    await access(path);
  } catch {
    return false;
  }
  await writeFile(path, value);
  return true;
}
