// A server killed with SIGKILL cannot stop its kernels; the next start must.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

import { launchKernel } from '../../server/kernels/kernel.ts';
import { cleanupOrphans } from '../../server/kernels/orphans.ts';
import { eventually } from '../helpers/eventually.ts';
import { captureLogger, processEnded, processGone, python3Spec, tempDataDir } from '../helpers/kernel.ts';

const CHILD = resolve(import.meta.dirname, '../helpers/kernel-orphan-child.ts');

describe('cleanupOrphans', { timeout: 120_000 }, () => {
  it('kills a kernel whose server was SIGKILLed and removes its files, but leaves live servers\' kernels alone', async (t) => {
    const logger = captureLogger();
    const dataDir = await tempDataDir(t);

    // A kernel owned by this (live) process must survive the cleanup.
    const mine = await launchKernel({ spec: await python3Spec(logger), dataDir, logger });
    t.after(() => mine.shutdown());

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let orphanPid: number | undefined;
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // Whatever happened above, the orphaned kernel must not outlive the test.
      if (orphanPid !== undefined && !processGone(orphanPid)) process.kill(-orphanPid, 'SIGKILL');
    });
    const line = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error('child did not report a kernel within 30 s')), 30_000);
      createInterface({ input: child.stdout }).once('line', (l) => {
        clearTimeout(timer);
        resolveLine(l);
      });
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const started = JSON.parse(line) as { pid: number; connectionFile: string };
    orphanPid = started.pid;

    const childExited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await childExited;
    assert.equal(processEnded(started.pid), false, 'the kernel should outlive its SIGKILLed server');

    const result = await cleanupOrphans(dataDir, logger);
    assert.deepEqual(result.killed, [started.pid]);
    await eventually(() => processEnded(started.pid), { timeoutMs: 5000, message: 'orphaned kernel still running' });
    assert.equal(existsSync(started.connectionFile), false);

    // Only this process's kernel is left: its record and connection file.
    assert.equal(processGone(mine.pid), false);
    const left = (await readdir(`${dataDir}/kernels`)).sort();
    assert.equal(left.length, 2, `unexpected files: ${left}`);
    assert.ok(left.every((name) => name.includes(mine.id)));
    assert.equal((await mine.execute('1').reply).content.status, 'ok');
  });

  it('does nothing on a data dir without kernels', async (t) => {
    const dataDir = await tempDataDir(t);
    assert.deepEqual(await cleanupOrphans(dataDir, captureLogger()), { killed: [], removed: [] });
  });
});
