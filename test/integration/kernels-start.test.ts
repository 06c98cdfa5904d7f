// A start attempt that hangs (alive, never answering) is stopped and the kernel started again,
// within the overall start timeout; in a sandbox, the stopped attempt's sandbox is gone too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { launchKernel } from '../../server/kernels/kernel.ts';
import type { KernelSpec } from '../../server/kernels/kernelspec.ts';
import { eventually } from '../helpers/eventually.ts';
import { captureLogger, processGone, python3Spec, tempDataDir, testSandbox } from '../helpers/kernel.ts';

/** A spec whose first start lives but never speaks (it runs `sleep`), and whose second start is the real kernel. */
function hangingFirst(spec: KernelSpec, marker: string, sleepSeconds: number): KernelSpec {
  const kernel = spec.argv.map((a) => (a === '{connection_file}' ? '"$0"' : `'${a}'`)).join(' ');
  const script = `if [ -e "${marker}" ]; then exec ${kernel}; else echo $$ > "${marker}"; exec sleep ${sleepSeconds}; fi`;
  return { ...spec, argv: ['/bin/sh', '-c', script, '{connection_file}'] };
}

function running(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch (error) {
    if (error instanceof Error && 'status' in error && error.status === 1) return [];
    throw error;
  }
}

describe('a start attempt that never answers', { timeout: 180_000 }, () => {
  it('is stopped and the kernel started again (no sandbox)', async (t) => {
    const logger = captureLogger();
    const dataDir = await tempDataDir(t);
    const marker = join(dataDir, 'first-attempt-hangs');
    const sandbox = await testSandbox(dataDir, logger, { mode: 'none' });
    const kernel = await launchKernel({ spec: hangingFirst(await python3Spec(logger), marker, 600), dataDir, logger, sandbox, startTimeoutMs: 45_000 });
    t.after(() => kernel.shutdown());
    const reply = await kernel.execute('1+1').done;
    assert.equal(reply.content.status, 'ok');
    assert.ok(logger.entries.some((e) => e.msg === 'kernel did not start; trying again'));
    const hungPid = Number(readFileSync(marker, 'utf8').trim());
    assert.ok(hungPid > 0);
    await eventually(() => processGone(hungPid), { timeoutMs: 10_000, message: 'the hanging attempt was left running' });
  });

  it('is stopped with its whole sandbox and the kernel started again', async (t) => {
    const logger = captureLogger();
    const dataDir = await tempDataDir(t);
    const home = join(dataDir, 'homes', 'users', 'starter');
    // The marker is written in the home, the one place both attempts' sandboxes share with the host.
    const sleepSeconds = 600 + Math.floor(Math.random() * 10_000);
    const spec = hangingFirst(await python3Spec(logger), '/home/cohort/first-attempt-hangs', sleepSeconds);
    const sandbox = await testSandbox(dataDir, logger);
    const kernel = await launchKernel({ spec, dataDir, logger, sandbox, home, startTimeoutMs: 45_000 });
    t.after(() => kernel.shutdown());
    assert.equal((await kernel.execute('1+1').done).content.status, 'ok');
    assert.ok(logger.entries.some((e) => e.msg === 'kernel did not start; trying again'));
    assert.ok(Number(readFileSync(join(home, 'first-attempt-hangs'), 'utf8').trim()) > 0, 'the first attempt ran');
    // (The live kernel's own command line holds the script's text, so only a command that *is* `sleep` counts.)
    await eventually(() => running(`^sleep ${sleepSeconds}$`).length === 0, { timeoutMs: 10_000, message: 'the hanging attempt was left running' });
    // One kernel directory: the running kernel's; the stopped attempt's is gone.
    assert.deepEqual(await readdir(join(dataDir, 'k')), [kernel.connectionFile.split('/').at(-3)]);
  });
});
