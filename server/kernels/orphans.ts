// Records of running kernels, so a server that was SIGKILLed leaves nothing behind: the next
// start kills kernels whose owning server process is gone and removes their files.
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { kernelsDir } from './connectionFile.ts';
import type { Logger } from './logger.ts';
import { isObject } from './messages.ts';
import { isProcessAlive, signalGroup } from './process.ts';

export interface KernelRecord {
  kernelId: string;
  pid: number;
  connectionFile: string;
  /** The server process that started the kernel, and its start time (guards against pid reuse). */
  ownerPid: number;
  ownerStartTime: string | null;
}

const RECORD_PREFIX = 'record-';

export function recordPath(dataDir: string, kernelId: string): string {
  return join(kernelsDir(dataDir), `${RECORD_PREFIX}${kernelId}.json`);
}

export async function writeKernelRecord(dataDir: string, record: Omit<KernelRecord, 'ownerPid' | 'ownerStartTime'>): Promise<void> {
  const full: KernelRecord = { ...record, ownerPid: process.pid, ownerStartTime: await processStartTime(process.pid) };
  await writeFile(recordPath(dataDir, record.kernelId), JSON.stringify(full), { mode: 0o600 });
}

export async function removeKernelFiles(dataDir: string, kernelId: string, connectionFile: string): Promise<void> {
  await Promise.all([rm(recordPath(dataDir, kernelId), { force: true }), rm(connectionFile, { force: true })]);
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

/** True when `pid` runs with `connectionFile` on its command line, i.e. is still that kernel. */
async function isThatKernel(pid: number, connectionFile: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg.includes(connectionFile));
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT') return false;
    throw error;
  }
}

function parseRecord(raw: unknown): KernelRecord | undefined {
  if (!isObject(raw)) return undefined;
  const { kernelId, pid, connectionFile, ownerPid, ownerStartTime } = raw;
  if (typeof kernelId !== 'string' || typeof pid !== 'number' || typeof connectionFile !== 'string' || typeof ownerPid !== 'number') {
    return undefined;
  }
  return { kernelId, pid, connectionFile, ownerPid, ownerStartTime: typeof ownerStartTime === 'string' ? ownerStartTime : null };
}

export interface CleanupResult {
  /** Pids of orphaned kernels that were killed. */
  killed: number[];
  /** Records (and their connection files) removed. */
  removed: string[];
}

/**
 * Kills kernels left running by a server process that no longer exists and removes their
 * records and connection files. Kernels owned by a live server (this one included) are left alone.
 */
export async function cleanupOrphans(dataDir: string, logger: Logger): Promise<CleanupResult> {
  const dir = kernelsDir(dataDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT') return { killed: [], removed: [] };
    throw error;
  }
  const result: CleanupResult = { killed: [], removed: [] };
  for (const name of names.filter((n) => n.startsWith(RECORD_PREFIX) && n.endsWith('.json'))) {
    const path = join(dir, name);
    let record: KernelRecord | undefined;
    try {
      record = parseRecord(JSON.parse(await readFile(path, 'utf8')));
    } catch (error) {
      logger.warn({ err: error, path }, 'unreadable kernel record; removing it');
    }
    if (record && (await ownerIsAlive(record))) continue;
    if (record && (await isThatKernel(record.pid, record.connectionFile))) {
      logger.warn({ kernelId: record.kernelId, pid: record.pid }, 'killing a kernel orphaned by a previous server');
      signalGroup(record.pid, 'SIGKILL');
      result.killed.push(record.pid);
    }
    await rm(path, { force: true });
    if (record) await rm(record.connectionFile, { force: true });
    result.removed.push(record?.kernelId ?? name);
  }
  return result;
}
