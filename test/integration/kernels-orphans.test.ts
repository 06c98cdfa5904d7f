// A server killed with SIGKILL cannot stop its kernels. A sandboxed kernel dies with it (bwrap
// --die-with-parent, then its PID namespace), a plain one lives on; either way the next start must
// leave nothing: no process (a `setsid` child included), no record, no cgroup, no mount, no directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';

import { launchKernel } from '../../server/kernels/kernel.ts';
import { mountPointsUnder } from '../../server/kernels/mounts.ts';
import { cleanupOrphans, recordPath } from '../../server/kernels/orphans.ts';
import type { KernelRecord } from '../../server/kernels/orphans.ts';
import { eventually } from '../helpers/eventually.ts';
import { captureLogger, processEnded, python3Spec, tempDataDir, testSandbox } from '../helpers/kernel.ts';

const CHILD = resolve(import.meta.dirname, '../helpers/kernel-orphan-child.ts');

interface Orphan {
  record: KernelRecord;
  /** Every process in the kernel's cgroup while its server still ran: the kernel, its setsid child (and the sandbox). */
  processes: number[];
}

/** Starts a kernel from a child process, then SIGKILLs that process. */
async function orphanKernel(t: TestContext, dataDir: string, mode: 'bwrap' | 'none'): Promise<Orphan> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let processes: number[] = [];
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Whatever happened above, nothing of the orphan may outlive the test.
    for (const pid of processes) if (!processEnded(pid)) process.kill(pid, 'SIGKILL');
  });
  const line = await new Promise<string>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not report a kernel within 60 s')), 60_000);
    createInterface({ input: child.stdout }).once('line', (l) => {
      clearTimeout(timer);
      resolveLine(l);
    });
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const started = JSON.parse(line) as { id: string };
  const record = JSON.parse(await readFile(recordPath(dataDir, started.id), 'utf8')) as KernelRecord;
  assert.ok(record.cgroup, 'this machine has cgroups: the kernel has one');
  const procs = await readFile(join(record.cgroup.dirs[0]!, 'cgroup.procs'), 'utf8');
  processes = procs.split('\n').filter(Boolean).map(Number);
  assert.ok(processes.length >= 2, `expected the kernel and its setsid child (and a sandbox) in the cgroup, got ${processes.join(', ')}`);
  const childExited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await childExited;
  return { record, processes };
}

async function assertNothingLeft(dataDir: string, orphan: Orphan): Promise<void> {
  for (const pid of orphan.processes) {
    await eventually(() => processEnded(pid), { timeoutMs: 5000, message: `process ${pid} of the orphaned kernel still runs` });
  }
  assert.equal(existsSync(orphan.record.kernelDir), false, 'the kernel directory is still there');
  assert.deepEqual(await mountPointsUnder(orphan.record.kernelDir), [], 'mounts of the kernel are still there');
  for (const dir of orphan.record.cgroup!.dirs) assert.equal(existsSync(dir), false, `cgroup ${dir} is still there`);
  assert.equal(existsSync(recordPath(dataDir, orphan.record.kernelId)), false, 'the record is still there');
}

describe('cleanupOrphans', { timeout: 180_000 }, () => {
  it('a sandboxed kernel dies with its SIGKILLed server; the next start removes its cgroup, mount, directory and record, but leaves live servers\' kernels alone', async (t) => {
    const logger = captureLogger();
    const dataDir = await tempDataDir(t);
    const sandbox = await testSandbox(dataDir, logger);
    // A kernel owned by this (live) process must survive the cleanup.
    const mine = await launchKernel({ spec: await python3Spec(logger), dataDir, logger, sandbox });
    t.after(() => mine.shutdown());

    const orphan = await orphanKernel(t, dataDir, 'bwrap');
    // --die-with-parent and the PID namespace: nothing of it runs, its setsid child neither.
    for (const pid of orphan.processes) {
      await eventually(() => processEnded(pid), { timeoutMs: 5000, message: `process ${pid} outlived its SIGKILLed server` });
    }
    assert.ok(existsSync(orphan.record.kernelDir), 'nobody cleaned up yet');
    assert.ok((await mountPointsUnder(orphan.record.kernelDir)).length > 0, 'the scratch home was a mount');

    const result = await cleanupOrphans(dataDir, logger, sandbox);
    assert.deepEqual(result.removed, [orphan.record.kernelId]);
    await assertNothingLeft(dataDir, orphan);

    // Only this process's kernel is left: its record and its directory.
    assert.equal(processEnded(mine.pid), false);
    assert.deepEqual(await readdir(`${dataDir}/kernels`), [`record-${mine.id}.json`]);
    assert.deepEqual(await readdir(`${dataDir}/k`), [mine.connectionFile.split('/').at(-3)]);
    assert.equal((await mine.execute('1').reply).content.status, 'ok');
  });

  it('without a sandbox the kernel outlives its SIGKILLed server; the next start kills it and its setsid child (through its cgroup)', async (t) => {
    const logger = captureLogger();
    const dataDir = await tempDataDir(t);
    const orphan = await orphanKernel(t, dataDir, 'none');
    for (const pid of orphan.processes) assert.equal(processEnded(pid), false, `process ${pid} should outlive its SIGKILLed server`);

    const sandbox = await testSandbox(dataDir, logger, { mode: 'none' });
    const result = await cleanupOrphans(dataDir, logger, sandbox);
    assert.deepEqual(result.killed, [orphan.record.kernelPid]);
    await assertNothingLeft(dataDir, orphan);
  });

  it('does nothing on a data dir without kernels', async (t) => {
    const dataDir = await tempDataDir(t);
    assert.deepEqual(await cleanupOrphans(dataDir, captureLogger()), { killed: [], removed: [], swept: [] });
  });
});
