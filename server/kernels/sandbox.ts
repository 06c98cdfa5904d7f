// Where and how a kernel process runs: in a bubblewrap sandbox of its own (the default) or, with
// `--kernel-sandbox none`, as a plain process of the server's user. Either way it gets a
// directory of its own under `<data-dir>/k/` (connection file and sockets in `run/`), a clean
// environment, a home as working directory, and its memory and process limits.
//
// A pooled kernel starts before anyone knows whose it will be, so it cannot be started with its
// user's home. Its sandbox binds a placeholder `home/` that is a *shared* mount on the host; bwrap
// copies it into the sandbox's mount namespace as a slave of that mount. When the kernel is
// assigned, the server binds the user's home onto the placeholder on the host, the mount
// propagates into that one sandbox (and no other: each kernel has its own placeholder), and the
// kernel changes into it. Restarting the sandbox with the home bound from the start would cost a
// kernel start (the pool's whole point); handing the kernel an open directory instead would leave
// HOME and every absolute path pointing at the placeholder. A server that is not root cannot bind
// on the host: its mounts are made in a user and mount namespace of the mount helper's own, and
// its sandboxes start inside those namespaces (see mounts.ts).
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { hostRootEntries, SANDBOX_HOME } from './bwrap.ts';
import type { BwrapPlan, RootEntry } from './bwrap.ts';
import { KernelCgroup } from './cgroups.ts';
import { CONNECTION_FILE_NAME, ipcConnectionInfo, kernelDirsRoot, longestSocketPath, MAX_SOCKET_PATH } from './connectionFile.ts';
import { ensureHome, HOME_MODE } from './homes.ts';
import type { Owner } from './homes.ts';
import { bwrapLaunch, plainLaunch } from './kernelLaunch.ts';
import type { BwrapSetup } from './kernelLaunch.ts';
import type { KernelSpec } from './kernelspec.ts';
import { KernelLimiter } from './limits.ts';
import type { LimitEnforcement } from './limits.ts';
import type { Logger } from './logger.ts';
import { isObject } from './messageShapes.ts';
import { MountHelper, removeKernelDir } from './mounts.ts';
import { PreparedKernel } from './preparedKernel.ts';
import type { KernelPlan, NotebookFilesMount, SandboxMode, SandboxRecord, SandboxSettings } from './sandboxSettings.ts';
import { trialSandbox } from './sandboxTrial.ts';

export class KernelSandbox {
  private constructor(
    readonly settings: SandboxSettings,
    /** The data directory with symlinks resolved, as /proc/self/mountinfo shows it. */
    private readonly dataDir: string,
    private readonly limiter: KernelLimiter,
    private readonly rootEntries: RootEntry[],
    private readonly mounts: MountHelper | undefined,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks that kernels can run as configured here, by starting one trial sandbox, and throws
   * SandboxUnavailableError when they cannot.
   */
  static async create(dataDir: string, settings: SandboxSettings, logger: Logger): Promise<KernelSandbox> {
    await mkdir(dataDir, { recursive: true });
    const realDataDir = await realpath(dataDir);
    const socketPath = longestSocketPath(join(kernelDirsRoot(realDataDir), 'xxxxxxxx', 'run'));
    if (Buffer.byteLength(socketPath) >= MAX_SOCKET_PATH) {
      throw new Error(`the data directory's path is too long for kernel sockets (${socketPath} has to stay under ${MAX_SOCKET_PATH} bytes); use a shorter --data-dir`);
    }
    const limiter = await KernelLimiter.create(settings.limits, logger);
    const root = process.getuid?.() === 0;
    if (root && settings.kernelUser.uid === 0) throw new Error('kernels must not run as root: choose another --kernel-uid');
    const rootEntries = await hostRootEntries();
    const mounts = settings.mode === 'bwrap' ? new MountHelper(realDataDir, logger, !root) : undefined;
    const sandbox = new KernelSandbox(settings, realDataDir, limiter, rootEntries, mounts, logger);
    if (settings.mode === 'bwrap') {
      await trialSandbox({ bwrapPath: settings.bwrapPath, dataDir: realDataDir, network: settings.network, rootEntries, users: sandbox.users, owner: sandbox.kernelOwner, mounts: mounts! });
    }
    return sandbox;
  }

  get mode(): SandboxMode {
    return this.settings.mode;
  }

  get limitEnforcement(): LimitEnforcement {
    return this.limiter.enforcement;
  }

  /** Whether a started kernel can be given its home later (the warm pool depends on it). */
  get canAssignHome(): boolean {
    return this.settings.mode === 'none' || this.mounts !== undefined;
  }

  /** The sandbox's user, as bwrapCommand wants it (see BwrapPlan). */
  private get users(): Pick<BwrapPlan, 'dropTo' | 'mapTo'> {
    const owner = this.kernelOwner;
    if (owner) return { dropTo: owner };
    return { dropTo: undefined, mapTo: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } };
  }

  /** Who files made for kernels (uploads into homes) must belong to; undefined: the server's own user. */
  get fileOwner(): Owner | undefined {
    return this.kernelOwner;
  }

  /** The server is root: kernels get their own uid, files made for them are chowned to it. */
  private get kernelOwner(): Owner | undefined {
    return process.getuid?.() === 0 && this.settings.mode === 'bwrap' ? this.settings.kernelUser : undefined;
  }

  plan(): KernelPlan {
    const name = randomBytes(4).toString('hex');
    return { name, kernelDir: join(kernelDirsRoot(this.dataDir), name), cgroup: this.limiter.cgroupPaths(`cohort-${name}`) };
  }

  /**
   * Makes what one kernel process needs: its directory, connection file, cgroup, and its command.
   * Without `home` the kernel gets a scratch home that assignHome can later cover with a real one.
   */
  async prepare(plan: KernelPlan, spec: KernelSpec, home: string | undefined, notebookFiles?: NotebookFilesMount): Promise<PreparedKernel> {
    const owner = this.kernelOwner;
    const runDir = join(plan.kernelDir, 'run');
    const scratchHome = join(plan.kernelDir, 'home');
    // A pool kernel's /notebook is a placeholder too, covered when it is assigned (see assignHome).
    const scratchFiles = join(plan.kernelDir, 'notebook');
    const resources: SandboxRecord = { kernelDir: plan.kernelDir };
    try {
      await mkdir(kernelDirsRoot(this.dataDir), { recursive: true, mode: 0o700 });
      await mkdir(plan.kernelDir, { mode: 0o700 });
      await mkdir(runDir, { mode: 0o700 });
      if (owner) await chown(runDir, owner.uid, owner.gid);
      if (home) {
        await ensureHome(this.dataDir, home, owner);
        if (notebookFiles) await ensureHome(this.dataDir, notebookFiles.dir, owner);
      } else {
        await mkdir(scratchHome, { mode: HOME_MODE });
        if (owner) await chown(scratchHome, owner.uid, owner.gid);
        await chmod(scratchHome, HOME_MODE);
        // The placeholder becomes a shared mount before the sandbox copies it (see the top).
        if (this.mounts) await this.mounts.share(scratchHome);
        if (this.mounts) {
          await mkdir(scratchFiles, { mode: 0o755 });
          await mkdir(join(plan.kernelDir, 'stage'), { mode: 0o700 });
          await this.mounts.share(scratchFiles);
        }
      }
      const limits = await this.limiter.forKernel(`cohort-${plan.name}`);
      resources.cgroup = limits.cgroup;
      const key = randomBytes(32).toString('hex');
      const hostInfo = ipcConnectionInfo(runDir, spec.name, key);
      const boundHome = home ?? scratchHome;
      const boundFiles = home ? notebookFiles : { dir: scratchFiles, writable: false };
      const target = { spec, runDir, home: boundHome, limits };
      const launch =
        this.settings.mode === 'bwrap'
          ? await bwrapLaunch(this.bwrapSetup, target, boundFiles, key, owner)
          : await plainLaunch(target, plan.kernelDir, hostInfo);
      return new PreparedKernel(this, resources, hostInfo, join(runDir, CONNECTION_FILE_NAME), launch, limits, home === undefined ? scratchHome : undefined);
    } catch (error) {
      await this.release(resources).catch((cleanupError: unknown) =>
        this.logger.error({ err: cleanupError, kernelDir: plan.kernelDir }, 'cleaning up after a failed kernel preparation failed'),
      );
      throw error;
    }
  }

  /**
   * Covers a kernel's scratch home with `home` and answers the directory the kernel must change
   * into (the same path inside a sandbox; the real one without).
   */
  async assignHome(scratchHome: string, home: string, notebookFiles?: NotebookFilesMount): Promise<string> {
    if (this.settings.mode === 'none') {
      await ensureHome(this.dataDir, home);
      return home;
    }
    if (!this.mounts) throw new Error('this sandbox has no mount helper to give a kernel its home later');
    await ensureHome(this.dataDir, home, this.kernelOwner);
    if (notebookFiles) {
      await ensureHome(this.dataDir, notebookFiles.dir, this.kernelOwner);
      const kernelDir = dirname(scratchHome);
      const target = join(kernelDir, 'notebook');
      if (notebookFiles.writable) await this.mounts.bind(notebookFiles.dir, target);
      else await this.mounts.bindReadOnly(notebookFiles.dir, join(kernelDir, 'stage'), target);
    }
    await this.mounts.bind(home, scratchHome);
    return SANDBOX_HOME;
  }

  /**
   * Removes what a kernel process had (after it ended): kills what is left in its cgroup, removes
   * the group, detaches mounts in its directory, removes the directory. Used for orphans too.
   */
  async release(record: SandboxRecord): Promise<void> {
    // Records are the server's own files, but what is removed with root's rights is checked anyway.
    if (!record.kernelDir.startsWith(`${kernelDirsRoot(this.dataDir)}/`)) throw new Error(`${record.kernelDir} is not a kernel directory of ${this.dataDir}`);
    if (record.cgroup) {
      if (!record.cgroup.dirs.every((dir) => /\/cohort-[0-9a-f]{8}$/.test(dir))) throw new Error(`${record.cgroup.dirs.join(', ')} are not kernel cgroups`);
      await KernelCgroup.fromPaths(record.cgroup.version, record.cgroup.dirs).remove();
    }
    await removeKernelDir(record.kernelDir, this.mounts);
  }

  /** Removes leftovers in `<data-dir>/k/` that no kernel of a live server owns. */
  async sweep(live: Set<string>): Promise<string[]> {
    const root = kernelDirsRoot(this.dataDir);
    let names: string[];
    try {
      names = await readdir(root);
    } catch (error) {
      if (isObject(error) && error.code === 'ENOENT') return [];
      throw error;
    }
    const removed: string[] = [];
    for (const name of names) {
      const dir = join(root, name);
      if (live.has(dir)) continue;
      await removeKernelDir(dir, this.mounts);
      removed.push(dir);
    }
    return removed;
  }

  dispose(): void {
    this.mounts?.dispose();
  }

  /** What every sandboxed launch needs of this sandbox. */
  private get bwrapSetup(): BwrapSetup {
    return { settings: this.settings, dataDir: this.dataDir, rootEntries: this.rootEntries, users: this.users, mounts: this.mounts!, logger: this.logger };
  }
}
