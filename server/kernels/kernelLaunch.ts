// How one kernel process is launched: its command line, environment and connection file, either
// inside a bubblewrap sandbox (with the host directories its kernelspec needs bound read-only) or
// as a plain process of the server's user.
import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

import { bwrapCommand, encodeArgs, SANDBOX_HOME, SANDBOX_RUN_DIR, SANDBOX_TMP } from './bwrap.ts';
import type { BwrapPlan, RootEntry } from './bwrap.ts';
import type { ConnectionInfo } from './connection.ts';
import { CONNECTION_FILE_NAME, ipcConnectionInfo, writeConnectionFile } from './connectionFile.ts';
import { kernelEnvironment, SANDBOX_PATH } from './environment.ts';
import type { Owner } from './homes.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { LimitedProcess } from './limits.ts';
import type { Logger } from './logger.ts';
import type { MountHelper } from './mounts.ts';
import { expandArgv } from './process.ts';
import type { NotebookFilesMount, SandboxSettings } from './sandboxSettings.ts';

/** What spawning one kernel process takes. */
export interface Launch {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  fd3?: Buffer;
  readFd4: boolean;
}

/** What the sandbox knows that every sandboxed launch needs. */
export interface BwrapSetup {
  settings: SandboxSettings;
  /** The data directory with symlinks resolved. */
  dataDir: string;
  rootEntries: RootEntry[];
  users: Pick<BwrapPlan, 'dropTo' | 'mapTo'>;
  mounts: MountHelper;
  logger: Logger;
}

/** Where one kernel's launch puts things. */
export interface LaunchTarget {
  spec: KernelSpec;
  runDir: string;
  home: string;
  limits: LimitedProcess;
}

/**
 * Host directories the kernelspec needs, bound read-only at their own paths: its resource dir,
 * its interpreter's prefix when outside /usr (a venv, conda), the directories its env puts on
 * PYTHONPATH and PATH, and the configured extras. Never the root, the data directory or a
 * directory holding it.
 */
async function readOnlyPathsFor(setup: BwrapSetup, spec: KernelSpec): Promise<string[]> {
  const { dataDir } = setup;
  const candidates = [spec.resourceDir, ...setup.settings.readOnlyPaths];
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
    if (real === '/' || dataDir === real || dataDir.startsWith(`${real}/`) || real.startsWith(`${dataDir}/`)) {
      setup.logger.warn({ path, spec: spec.name }, 'not showing this directory to kernels: it is or holds the data directory');
      continue;
    }
    existing.push(real);
  }
  return existing;
}

export async function bwrapLaunch(
  setup: BwrapSetup,
  { spec, runDir, home, limits }: LaunchTarget,
  notebookFiles: NotebookFilesMount | undefined,
  key: string,
  owner: Owner | undefined,
): Promise<Launch> {
  const inside = ipcConnectionInfo(SANDBOX_RUN_DIR, spec.name, key);
  await writeConnectionFile(join(runDir, CONNECTION_FILE_NAME), inside, owner);
  const { options, command } = bwrapCommand({
    ...setup.users,
    network: setup.settings.network,
    rootEntries: setup.rootEntries,
    readOnly: await readOnlyPathsFor(setup, spec),
    runDir,
    home,
    notebookFiles,
    env: kernelEnvironment({ spec, home: SANDBOX_HOME, tmpDir: SANDBOX_TMP, path: SANDBOX_PATH, lang: process.env.LANG }),
    argv: expandArgv(spec, join(SANDBOX_RUN_DIR, CONNECTION_FILE_NAME)),
  });
  return {
    argv: limits.wrap([...(await setup.mounts.enterPrefix()), setup.settings.bwrapPath, '--args', '3', ...command]),
    // bwrap itself needs no environment; the kernel's is set by --clearenv and --setenv.
    env: { PATH: '/usr/bin:/bin' },
    fd3: encodeArgs([...options, '--info-fd', '4']),
    readFd4: true,
  };
}

export async function plainLaunch({ spec, runDir, home, limits }: LaunchTarget, kernelDir: string, info: ConnectionInfo): Promise<Launch> {
  const connectionFile = join(runDir, CONNECTION_FILE_NAME);
  await writeConnectionFile(connectionFile, info);
  const tmpDir = join(kernelDir, 'tmp');
  await mkdir(tmpDir, { mode: 0o700 });
  const env = kernelEnvironment({ spec, home, tmpDir, path: process.env.PATH || SANDBOX_PATH, lang: process.env.LANG });
  return { argv: limits.wrap(expandArgv(spec, connectionFile)), env, cwd: home, readFd4: false };
}
