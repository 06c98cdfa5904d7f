// The start-up trial of the kernel sandbox: before the server accepts anyone, it starts `true` in a
// sandbox exactly as kernels will be started, so a machine where bubblewrap cannot work fails
// loudly at start instead of at the first person's first cell.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { bwrapCommand, runBwrap, SETPRIV, SETSID } from './bwrap.ts';
import type { BwrapPlan, RootEntry } from './bwrap.ts';
import { kernelDirsRoot } from './connectionFile.ts';
import type { Owner } from './homes.ts';
import type { MountHelper } from './mounts.ts';
import { NSENTER, UNSHARE } from './mounts.ts';
import type { KernelNetwork } from './sandboxSettings.ts';
import { SandboxUnavailableError } from './sandboxSettings.ts';

export interface TrialSetup {
  bwrapPath: string;
  dataDir: string;
  network: KernelNetwork;
  rootEntries: RootEntry[];
  users: Pick<BwrapPlan, 'dropTo' | 'mapTo'>;
  /** Set when the server runs as root: kernels drop to this user. */
  owner: Owner | undefined;
  mounts: MountHelper;
}

/** Starts `true` in a sandbox as kernels will be started; throws SandboxUnavailableError when that fails. */
export async function trialSandbox({ bwrapPath, dataDir, network, rootEntries, users, owner, mounts }: TrialSetup): Promise<void> {
  const advice = 'install bubblewrap (Debian: apt-get install bubblewrap; `npm run setup` does) and allow user namespaces, or start with --kernel-sandbox none to run kernels without isolation';
  try {
    await access(bwrapPath, fsConstants.X_OK);
  } catch {
    throw new SandboxUnavailableError(`kernel sandbox unavailable: ${bwrapPath} not found; ${advice}`);
  }
  for (const tool of owner ? [SETPRIV, SETSID] : [SETSID, NSENTER, UNSHARE]) {
    if (!existsSync(tool)) throw new SandboxUnavailableError(`kernel sandbox unavailable: ${tool} (util-linux) not found; ${advice}`);
  }
  const dir = join(kernelDirsRoot(dataDir), `trial-${randomBytes(4).toString('hex')}`);
  await mkdir(join(dir, 'run'), { recursive: true, mode: 0o700 });
  try {
    const { options, command } = bwrapCommand({
      ...users,
      network,
      rootEntries,
      readOnly: [],
      runDir: join(dir, 'run'),
      home: join(dir, 'run'),
      env: {},
      argv: ['/usr/bin/true'],
    });
    await runBwrap([...(await mounts.enterPrefix()), bwrapPath], options, command);
  } catch (error) {
    throw new SandboxUnavailableError(`kernel sandbox unavailable: bubblewrap could not start a sandbox here (${(error as Error).message.trim()}); ${advice}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
