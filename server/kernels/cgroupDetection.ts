// Where this process may create kernels' control groups: cgroup v1 (separate `memory` and `pids`
// hierarchies, as on this machine) or cgroup v2 (one unified hierarchy, as under systemd), found
// from /proc/self/mountinfo and /proc/self/cgroup and proved by creating (and removing) a probe
// group. Where neither can be written the answer is undefined, and the caller falls back to
// rlimits (limits.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { readOptional } from './cgroupFiles.ts';
import { KernelCgroup } from './cgroups.ts';
import type { CgroupSupport } from './cgroups.ts';
import type { Logger } from './logger.ts';
import { isObject } from './messageShapes.ts';
import { parseMountInfo } from './mountInfo.ts';
import type { MountEntry } from './mountInfo.ts';

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
