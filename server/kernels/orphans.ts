// Records of running kernels, so a server that was SIGKILLed leaves nothing behind: the next
// start kills kernels whose owning server process is gone, removes their cgroups, mounts and
// directories, and their records. A record is written before any of a kernel's resources exists.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { KernelCgroup } from './cgroups.ts';
import { kernelsDir } from './connectionFile.ts';
import type { Logger } from './logger.ts';
import { isObject } from './messageShapes.ts';
import { removeKernelDir } from './mounts.ts';
import { isProcessAlive, signalGroup } from './process.ts';
import type { KernelSandbox } from './sandbox.ts';
import type { SandboxRecord } from './sandboxSettings.ts';

export interface KernelRecord extends SandboxRecord {
  kernelId: string;
  /** The process the server started (bwrap, or the kernel itself without a sandbox); null before it is. */
  pid: number | null;
  /** Its start time (guards against pid reuse). */
  pidStartTime: string | null;
  /** The kernel process itself, once it answered. */
  kernelPid?: number | undefined;
  /** Records of earlier versions name a connection file outside the kernel's directory. */
  connectionFile?: string | undefined;
  /** The server process that started the kernel, and its start time (guards against pid reuse). */
  ownerPid: number;
  ownerStartTime: string | null;
}

export type NewKernelRecord = Omit<KernelRecord, 'ownerPid' | 'ownerStartTime' | 'pidStartTime'>;

const RECORD_PREFIX = 'record-';

export function recordPath(dataDir: string, kernelId: string): string {
  return join(kernelsDir(dataDir), `${RECORD_PREFIX}${kernelId}.json`);
}

/** Writes (or rewrites, as the kernel gets a pid) the record of a kernel process. */
export async function writeKernelRecord(dataDir: string, record: NewKernelRecord): Promise<void> {
  const full: KernelRecord = {
    ...record,
    pidStartTime: record.pid === null ? null : await processStartTime(record.pid),
    ownerPid: process.pid,
    ownerStartTime: await processStartTime(process.pid),
  };
  await mkdir(kernelsDir(dataDir), { recursive: true, mode: 0o700 });
  // Written aside, then renamed over the old one: a reader never sees a half-written record.
  const path = recordPath(dataDir, record.kernelId);
  await writeFile(`${path}.tmp`, JSON.stringify(full), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

export async function removeKernelRecord(dataDir: string, kernelId: string): Promise<void> {
  await rm(recordPath(dataDir, kernelId), { force: true });
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or null where /proc is not available. */
async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT') return null;
    throw error;
  }
}

async function ownerIsAlive(record: KernelRecord): Promise<boolean> {
  if (!isProcessAlive(record.ownerPid)) return false;
  if (record.ownerStartTime === null) return true;
  return (await processStartTime(record.ownerPid)) === record.ownerStartTime;
}

/** True when the record's process still runs (same pid, same start time; older records: its command line). */
async function isThatProcess(record: KernelRecord): Promise<boolean> {
  if (record.pid === null || !isProcessAlive(record.pid)) return false;
  if (record.pidStartTime !== null) return (await processStartTime(record.pid)) === record.pidStartTime;
  if (!record.connectionFile) return false;
  try {
    const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg.includes(record.connectionFile!));
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT') return false;
    throw error;
  }
}

function parseRecord(raw: unknown): KernelRecord | undefined {
  if (!isObject(raw)) return undefined;
  const { kernelId, pid, pidStartTime, kernelPid, kernelDir, cgroup, connectionFile, ownerPid, ownerStartTime } = raw;
  if (typeof kernelId !== 'string' || (typeof pid !== 'number' && pid !== null) || typeof ownerPid !== 'number') return undefined;
  const version = isObject(cgroup) ? cgroup.version : undefined;
  const dirs = isObject(cgroup) ? cgroup.dirs : undefined;
  const validCgroup =
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the object literal widens `version` to number without it
    (version === 1 || version === 2) && Array.isArray(dirs) && dirs.every((d) => typeof d === 'string') ? { version: version as 1 | 2, dirs } : undefined;
  return {
    kernelId,
    pid,
    pidStartTime: typeof pidStartTime === 'string' ? pidStartTime : null,
    kernelPid: typeof kernelPid === 'number' ? kernelPid : undefined,
    kernelDir: typeof kernelDir === 'string' ? kernelDir : '',
    cgroup: validCgroup,
    connectionFile: typeof connectionFile === 'string' ? connectionFile : undefined,
    ownerPid,
    ownerStartTime: typeof ownerStartTime === 'string' ? ownerStartTime : null,
  };
}

export interface CleanupResult {
  /** Pids of orphaned kernels that were killed. */
  killed: number[];
  /** Records (and what they named) removed. */
  removed: string[];
  /** Kernel directories no record named, removed. */
  swept: string[];
}

/**
 * Kills kernels left running by a server process that no longer exists, removes their cgroups,
 * mounts, directories and records. Kernels owned by a live server (this one included) are left
 * alone. With a sandbox, directories under `<data-dir>/k/` that no record names are removed too.
 */
export async function cleanupOrphans(dataDir: string, logger: Logger, sandbox?: KernelSandbox): Promise<CleanupResult> {
  const result: CleanupResult = { killed: [], removed: [], swept: [] };
  const dir = kernelsDir(dataDir);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (!(isObject(error) && error.code === 'ENOENT')) throw error;
  }
  const live = new Set<string>();
  for (const name of names.filter((n) => n.startsWith(RECORD_PREFIX) && n.endsWith('.json'))) {
    const path = join(dir, name);
    let record: KernelRecord | undefined;
    try {
      record = parseRecord(JSON.parse(await readFile(path, 'utf8')));
    } catch (error) {
      logger.warn({ err: error, path }, 'unreadable kernel record; removing it');
    }
    if (record && (await ownerIsAlive(record))) {
      if (record.kernelDir) live.add(record.kernelDir);
      continue;
    }
    if (record) {
      if (await isThatProcess(record)) {
        logger.warn({ kernelId: record.kernelId, pid: record.pid, kernelPid: record.kernelPid }, 'killing a kernel orphaned by a previous server');
        signalGroup(record.pid!, 'SIGKILL');
        result.killed.push(record.kernelPid ?? record.pid!);
      }
      try {
        if (sandbox && record.kernelDir) {
          await sandbox.release(record);
        } else {
          if (record.cgroup) await KernelCgroup.fromPaths(record.cgroup.version, record.cgroup.dirs).remove();
          if (record.kernelDir) await removeKernelDir(record.kernelDir, undefined);
        }
      } catch (error) {
        // The record stays, so the next start tries again; this one goes on with the others.
        logger.error({ err: error, kernelId: record.kernelId, kernelDir: record.kernelDir }, 'could not remove what an orphaned kernel left');
        continue;
      }
      if (record.connectionFile) await rm(record.connectionFile, { force: true });
    }
    await rm(path, { force: true });
    result.removed.push(record?.kernelId ?? name);
  }
  if (sandbox) result.swept = await sandbox.sweep(live);
  return result;
}
