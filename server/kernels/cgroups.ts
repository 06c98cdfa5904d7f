// One kernel's control group: created with a memory limit and a process limit, it counts the
// kernel's out-of-memory kills, and it holds everything the kernel started (setsid or not), so
// all of it can be found and killed, and the group removed. cgroup v1 gives a kernel one
// directory per hierarchy (memory, pids), cgroup v2 one directory. Where groups can be created
// at all is cgroupDetection.ts's question.
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { readOptional, writeIfPresent } from './cgroupFiles.ts';
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
