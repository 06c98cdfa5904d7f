// One kernel process's sandbox once prepared: the options to spawn it with, the kernel's own pid
// inside it, its exit as people should read it, its home given later, and its clean-up.
import { readFile } from 'node:fs/promises';

import type { ConnectionInfo } from './connection.ts';
import type { Launch } from './kernelLaunch.ts';
import type { LimitedProcess } from './limits.ts';
import { isObject } from './messageShapes.ts';
import { signalName } from './process.ts';
import type { ExitInfo, SpawnedKernel, SpawnKernelOptions } from './process.ts';
import type { KernelSandbox } from './sandbox.ts';
import type { NotebookFilesMount, SandboxRecord } from './sandboxSettings.ts';

/** One kernel process's sandbox, from before it starts until it is cleaned up. */
export class PreparedKernel {
  private released: Promise<void> | undefined;

  constructor(
    private readonly sandbox: KernelSandbox,
    readonly record: SandboxRecord,
    /** The connection as the server sees it (host socket paths). */
    readonly info: ConnectionInfo,
    /** The connection file on the host. */
    readonly connectionFile: string,
    private readonly launch: Launch,
    private readonly limits: LimitedProcess,
    /** Set when the kernel started with a scratch home that assignHome may cover. */
    private readonly scratchHome: string | undefined,
  ) {}

  spawnOptions(): Pick<SpawnKernelOptions, 'argv' | 'env' | 'cwd' | 'fd3' | 'readFd4'> {
    const { argv, env, cwd, fd3, readFd4 } = this.launch;
    return { argv, env, readFd4, ...(cwd ? { cwd } : {}), ...(fd3 ? { fd3 } : {}) };
  }

  /**
   * The host pid of the kernel process itself, which interrupts and kills are aimed at. In a
   * sandbox it is the only child of the sandbox's init, whose host pid bwrap reports on fd 4.
   */
  async kernelPid(spawned: SpawnedKernel): Promise<number> {
    if (!this.launch.readFd4) return spawned.pid;
    const info: unknown = JSON.parse(await spawned.fd4);
    const init = isObject(info) && typeof info['child-pid'] === 'number' ? info['child-pid'] : undefined;
    if (init === undefined) throw new Error('bubblewrap reported no child pid');
    const children = (await readFile(`/proc/${init}/task/${init}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
    if (children.length !== 1) throw new Error(`the sandbox init ${init} has ${children.length} children, expected the kernel alone`);
    return Number(children[0]);
  }

  /**
   * The process's exit as people should read it: bwrap exits with 128 + n when its command was
   * killed by signal n; the cgroup tells whether that was the out-of-memory killer.
   */
  async describe(exit: ExitInfo): Promise<ExitInfo> {
    let described = exit;
    if (this.launch.readFd4 && exit.code !== null && exit.code > 128) {
      const signal = signalName(exit.code - 128);
      if (signal) described = { code: null, signal };
    }
    if (await this.limits.outOfMemory().catch(() => false)) described = { ...described, outOfMemoryLimit: this.sandbox.settings.limits.memoryBytes };
    return described;
  }

  /** Gives a kernel that started without a home its user's home (see the top); answers where to chdir. */
  assignHome(home: string, notebookFiles?: NotebookFilesMount): Promise<string> {
    if (!this.scratchHome) throw new Error('this kernel started with its home already');
    return this.sandbox.assignHome(this.scratchHome, home, notebookFiles);
  }

  /** Everything of the kernel process gone: what is left in its cgroup, the cgroup, mounts, its directory. Idempotent. */
  release(): Promise<void> {
    return (this.released ??= (async () => {
      await this.limits.killAll();
      await this.sandbox.release(this.record);
    })());
  }
}
