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
import { constants as fsConstants, existsSync } from 'node:fs';
import { access, chmod, chown, mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

import { bwrapCommand, encodeArgs, hostRootEntries, runBwrap, SANDBOX_HOME, SANDBOX_RUN_DIR, SANDBOX_TMP, SETPRIV, SETSID } from './bwrap.ts';
import type { BwrapPlan, RootEntry } from './bwrap.ts';
import { KernelCgroup } from './cgroups.ts';
import type { ConnectionInfo } from './connection.ts';
import { CONNECTION_FILE_NAME, ipcConnectionInfo, kernelDirsRoot, longestSocketPath, MAX_SOCKET_PATH, writeConnectionFile } from './connectionFile.ts';
import { kernelEnvironment, SANDBOX_PATH } from './environment.ts';
import { ensureHome, HOME_MODE } from './homes.ts';
import type { Owner } from './homes.ts';
import type { KernelSpec } from './kernelspec.ts';
import { DEFAULT_LIMITS, KernelLimiter } from './limits.ts';
import type { KernelLimits, LimitedProcess, LimitEnforcement } from './limits.ts';
import type { Logger } from './logger.ts';
import { isObject } from './messages.ts';
import { MountHelper, NSENTER, removeKernelDir, UNSHARE } from './mounts.ts';
import { expandArgv, signalName } from './process.ts';
import type { ExitInfo, SpawnedKernel, SpawnKernelOptions } from './process.ts';

export type SandboxMode = 'bwrap' | 'none';
export type KernelNetwork = 'none' | 'host';

export interface SandboxSettings {
  mode: SandboxMode;
  /** `none`: a network namespace with only loopback; `host`: the host's network (pip install). */
  network: KernelNetwork;
  /** The uid and gid kernels run as when the server runs as root (never root itself). */
  kernelUser: Owner;
  limits: KernelLimits;
  /** Host directories every kernel sees read-only (the project's Python folder, …). */
  readOnlyPaths: string[];
  bwrapPath: string;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = {
  mode: 'bwrap',
  network: 'none',
  kernelUser: { uid: 65534, gid: 65534 },
  limits: DEFAULT_LIMITS,
  readOnlyPaths: [],
  bwrapPath: '/usr/bin/bwrap',
};

/** A notebook's files as one kernel sees them at /notebook: read-only but for the notebook's shared kernel. */
export interface NotebookFilesMount {
  dir: string;
  writable: boolean;
}

/** The sandbox cannot work on this machine: the server must not start kernels unprotected by surprise. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

/** What a kernel record keeps of a kernel's sandbox, to clean up after a crash. */
export interface SandboxRecord {
  kernelDir: string;
  cgroup?: { version: 1 | 2; dirs: string[] } | undefined;
}

/** Names of one kernel process's resources, fixed before any of them exists. */
export interface KernelPlan extends SandboxRecord {
  name: string;
}

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
    if (settings.mode === 'bwrap') await sandbox.trial();
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
      const launch =
        this.settings.mode === 'bwrap'
          ? await this.bwrapLaunch(spec, runDir, boundHome, boundFiles, limits, key, owner)
          : await this.plainLaunch(spec, plan.kernelDir, runDir, boundHome, limits, hostInfo);
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

  /**
   * Host directories the kernelspec needs, bound read-only at their own paths: its resource dir,
   * its interpreter's prefix when outside /usr (a venv, conda), the directories its env puts on
   * PYTHONPATH and PATH, and the configured extras. Never the root, the data directory or a
   * directory holding it.
   */
  private async readOnlyPathsFor(spec: KernelSpec): Promise<string[]> {
    const candidates = [spec.resourceDir, ...this.settings.readOnlyPaths];
    const interpreter = spec.argv[0];
    if (interpreter && isAbsolute(interpreter)) {
      const real = await realpath(interpreter).catch(() => interpreter);
      // …/bin/python → … ; /usr/bin/python3 is in /usr already
      if (!real.startsWith('/usr/')) candidates.push(dirname(dirname(real)));
    }
    for (const name of ['PYTHONPATH', 'PATH']) {
      for (const entry of (spec.env[name] ?? '').split(':')) if (isAbsolute(entry)) candidates.push(entry);
    }
    const existing: string[] = [];
    for (const path of candidates) {
      const real = await realpath(path).catch(() => undefined);
      if (!real || !(await stat(real)).isDirectory()) continue;
      if (real === '/' || this.dataDir === real || this.dataDir.startsWith(`${real}/`) || real.startsWith(`${this.dataDir}/`)) {
        this.logger.warn({ path, spec: spec.name }, 'not showing this directory to kernels: it is or holds the data directory');
        continue;
      }
      existing.push(real);
    }
    return existing;
  }

  private async bwrapLaunch(
    spec: KernelSpec,
    runDir: string,
    home: string,
    notebookFiles: NotebookFilesMount | undefined,
    limits: LimitedProcess,
    key: string,
    owner: Owner | undefined,
  ): Promise<Launch> {
    const inside = ipcConnectionInfo(SANDBOX_RUN_DIR, spec.name, key);
    await writeConnectionFile(join(runDir, CONNECTION_FILE_NAME), inside, owner);
    const { options, command } = bwrapCommand({
      ...this.users,
      network: this.settings.network,
      rootEntries: this.rootEntries,
      readOnly: await this.readOnlyPathsFor(spec),
      runDir,
      home,
      notebookFiles,
      env: kernelEnvironment({ spec, home: SANDBOX_HOME, tmpDir: SANDBOX_TMP, path: SANDBOX_PATH, lang: process.env.LANG }),
      argv: expandArgv(spec, join(SANDBOX_RUN_DIR, CONNECTION_FILE_NAME)),
    });
    return {
      argv: limits.wrap([...(await this.mounts!.enterPrefix()), this.settings.bwrapPath, '--args', '3', ...command]),
      // bwrap itself needs no environment; the kernel's is set by --clearenv and --setenv.
      env: { PATH: '/usr/bin:/bin' },
      fd3: encodeArgs([...options, '--info-fd', '4']),
      readFd4: true,
    };
  }

  private async plainLaunch(spec: KernelSpec, kernelDir: string, runDir: string, home: string, limits: LimitedProcess, info: ConnectionInfo): Promise<Launch> {
    const connectionFile = join(runDir, CONNECTION_FILE_NAME);
    await writeConnectionFile(connectionFile, info);
    const tmpDir = join(kernelDir, 'tmp');
    await mkdir(tmpDir, { mode: 0o700 });
    const env = kernelEnvironment({ spec, home, tmpDir, path: process.env.PATH || SANDBOX_PATH, lang: process.env.LANG });
    return { argv: limits.wrap(expandArgv(spec, connectionFile)), env, cwd: home, readFd4: false };
  }

  /** Starts `true` in a sandbox as kernels will be started; throws SandboxUnavailableError when that fails. */
  private async trial(): Promise<void> {
    const { bwrapPath } = this.settings;
    const owner = this.kernelOwner;
    const advice = 'install bubblewrap (Debian: apt-get install bubblewrap; `npm run setup` does) and allow user namespaces, or start with --kernel-sandbox none to run kernels without isolation';
    try {
      await access(bwrapPath, fsConstants.X_OK);
    } catch {
      throw new SandboxUnavailableError(`kernel sandbox unavailable: ${bwrapPath} not found; ${advice}`);
    }
    for (const tool of owner ? [SETPRIV, SETSID] : [SETSID, NSENTER, UNSHARE]) {
      if (!existsSync(tool)) throw new SandboxUnavailableError(`kernel sandbox unavailable: ${tool} (util-linux) not found; ${advice}`);
    }
    const dir = join(kernelDirsRoot(this.dataDir), `trial-${randomBytes(4).toString('hex')}`);
    await mkdir(join(dir, 'run'), { recursive: true, mode: 0o700 });
    try {
      const { options, command } = bwrapCommand({
        ...this.users,
        network: this.settings.network,
        rootEntries: this.rootEntries,
        readOnly: [],
        runDir: join(dir, 'run'),
        home: join(dir, 'run'),
        env: {},
        argv: ['/usr/bin/true'],
      });
      await runBwrap([...(await this.mounts!.enterPrefix()), bwrapPath], options, command);
    } catch (error) {
      throw new SandboxUnavailableError(`kernel sandbox unavailable: bubblewrap could not start a sandbox here (${(error as Error).message.trim()}); ${advice}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

interface Launch {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  fd3?: Buffer;
  readFd4: boolean;
}

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
