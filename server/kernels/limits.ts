// A kernel's memory and process limits, and how they are enforced: by a control group of its own
// where the machine lets the server create one (cgroup v1 or v2), else by rlimits set with
// prlimit(1) before the kernel starts. Only a cgroup gives an out-of-memory kill of that kernel
// alone (under an rlimit an allocation fails with MemoryError instead) and a process limit per
// kernel (RLIMIT_NPROC counts every process of the kernels' uid together).
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';

import { detectCgroups } from './cgroupDetection.ts';
import { KernelCgroup } from './cgroups.ts';
import type { CgroupSupport } from './cgroups.ts';
import type { Logger } from './logger.ts';

export interface KernelLimits {
  /** Memory of everything in the kernel's sandbox, bytes; 0 = no limit. */
  memoryBytes: number;
  /** Processes and threads in the kernel's sandbox; 0 = no limit. */
  maxProcesses: number;
}

export const DEFAULT_LIMITS: KernelLimits = { memoryBytes: 2 * 2 ** 30, maxProcesses: 512 };

export type LimitEnforcement = 'cgroup v1' | 'cgroup v2' | 'rlimit' | 'none';

/** The limits of one kernel process, from before it starts until after it ended. */
export interface LimitedProcess {
  /** The kernel's command, prefixed with what puts it under its limits before it runs. */
  wrap(argv: string[]): string[];
  /** True when the out-of-memory killer struck in this kernel's group since it was made. */
  outOfMemory(): Promise<boolean>;
  /** Kills everything left in the kernel's group (nothing without a group). */
  killAll(): Promise<void>;
  /** Removes the kernel's group. */
  release(): Promise<void>;
  /** What a kernel record needs to find the group again after a crash. */
  readonly cgroup: { version: 1 | 2; dirs: string[] } | undefined;
}

/**
 * A shell that joins the given cgroups and then becomes the command (`exec`): the kernel is in its
 * group from its first instruction, so nothing it forks can escape. Writing the pid from outside
 * after the spawn would leave a window in which the kernel could fork outside its group.
 */
const JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

export class KernelLimiter {
  private constructor(
    readonly limits: KernelLimits,
    private readonly cgroups: CgroupSupport | undefined,
    private readonly prlimit: string | undefined,
  ) {}

  static async create(limits: KernelLimits, logger: Logger): Promise<KernelLimiter> {
    const cgroups = await detectCgroups(logger);
    const prlimit = cgroups ? undefined : await executable(['/usr/bin/prlimit', '/bin/prlimit']);
    return new KernelLimiter(limits, cgroups, prlimit);
  }

  get enforcement(): LimitEnforcement {
    if (this.cgroups) return `cgroup v${this.cgroups.version}`;
    return this.prlimit ? 'rlimit' : 'none';
  }

  /** Paths of the group `name` would get, before it exists (kernel records are written first). */
  cgroupPaths(name: string): { version: 1 | 2; dirs: string[] } | undefined {
    return this.cgroups ? { version: this.cgroups.version, dirs: KernelCgroup.paths(this.cgroups, name) } : undefined;
  }

  async forKernel(name: string): Promise<LimitedProcess> {
    const { limits } = this;
    if (this.cgroups) {
      const group = await KernelCgroup.create(this.cgroups, name, limits);
      const oomBefore = await group.oomKills();
      return {
        cgroup: { version: group.version, dirs: group.dirs },
        wrap: (argv) => ['/bin/sh', '-c', JOIN_CGROUPS, 'cohort-kernel', ...group.procsFiles, '--', ...argv],
        outOfMemory: async () => (await group.oomKills()) > oomBefore,
        killAll: async () => {
          await group.killAll();
        },
        release: () => group.remove(),
      };
    }
    const prlimit = this.prlimit;
    const rlimits = [
      ...(limits.memoryBytes > 0 ? [`--as=${limits.memoryBytes}`] : []),
      ...(limits.maxProcesses > 0 ? [`--nproc=${limits.maxProcesses}`] : []),
    ];
    return {
      cgroup: undefined,
      wrap: (argv) => (prlimit && rlimits.length > 0 ? [prlimit, ...rlimits, '--', ...argv] : argv),
      outOfMemory: () => Promise.resolve(false),
      killAll: () => Promise.resolve(),
      release: () => Promise.resolve(),
    };
  }
}

async function executable(candidates: string[]): Promise<string | undefined> {
  for (const path of candidates) {
    try {
      await access(path, fsConstants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** `2 GiB`, `256 MiB`, `1.5 GiB`: how a limit is shown to people. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}
