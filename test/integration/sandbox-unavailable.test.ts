// Where kernels cannot be sandboxed, the server (a real `npm start` process) refuses to start and
// says how to run without isolation; told `--kernel-sandbox none` it starts, warns in its log and
// on the terminal, tells signed-in users, and runs kernels as plain processes. Two machines where
// the sandbox cannot work are made for the server alone (nothing of the host changes): one without
// bubblewrap (an empty file is bound over /usr/bin/bwrap in a mount namespace of the server's own),
// and a locked-down container whose root is root only inside a user namespace (bubblewrap is there,
// but its sandbox cannot drop to the kernels' uid, which that namespace does not have).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { Output } from '../../shared/nbformat.ts';
import { eventually } from '../helpers/eventually.ts';
import { kernelProcessesUsing, removeDataDir } from '../helpers/kernel.ts';
import { apiClient, spawnServer, tempDir } from '../helpers/server.ts';

const ADMIN = 'admin-test-token';

const usedDataDirs: string[] = [];
after(async () => {
  assert.deepEqual(kernelProcessesUsing(usedDataDirs), [], 'kernel processes of this file are still running');
  for (const dir of usedDataDirs) await removeDataDir(dir);
});

function dataDir(): string {
  const dir = tempDir('cohort-nosandbox-');
  usedDataDirs.push(dir);
  return dir;
}

/** The server runs in a mount namespace of its own in which /usr/bin/bwrap is an empty, non-executable file. */
function withoutBubblewrap(dir: string): string[] {
  const empty = join(dir, 'no-bwrap');
  writeFileSync(empty, '');
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /usr/bin/bwrap && exec "$@"', empty];
}

/** The server is root only inside a user namespace that maps no other uid (a rootless container). */
const inAUserNamespace = (): string[] => ['unshare', '--user', '--map-root-user', '--'];

function exitOf(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Exit code 2 and one plain line naming the cause and the way out, without a stack. */
async function assertRefused(machine: (dir: string) => string[], cause: RegExp): Promise<void> {
  const dir = dataDir();
  let started: Awaited<ReturnType<typeof spawnServer>>;
  try {
    started = await spawnServer(dir, [], { prefix: machine(dir) });
  } catch (error) {
    const { message } = error as Error;
    assert.match(message, /the server exited \(code 2\) before listening/);
    assert.match(message, /^cohort: kernel sandbox unavailable: /m);
    assert.match(message, cause);
    assert.match(message, /start with --kernel-sandbox none to run kernels without isolation/);
    assert.doesNotMatch(message, /\n\s+at /, 'a stack trace instead of a plain message');
    return;
  }
  started.child.kill('SIGTERM');
  await exitOf(started.child);
  assert.fail(`the server started without a sandbox:\n${started.output()}`);
}

describe('a machine where kernels cannot be sandboxed', { timeout: 300_000 }, () => {
  it('without bubblewrap the server refuses to start', async () => {
    await assertRefused(withoutBubblewrap, /\/usr\/bin\/bwrap not found/);
  });

  it('where bubblewrap cannot make a sandbox (root only in a user namespace) the server refuses to start', async () => {
    await assertRefused(inAUserNamespace, /bubblewrap could not start a sandbox here \(.+\)/);
  });

  it('with --kernel-sandbox none the server starts there, warns in its log and on the terminal, tells users, and runs kernels', async (t) => {
    const dir = dataDir();
    const server = await spawnServer(dir, ['--kernel-sandbox', 'none'], { prefix: withoutBubblewrap(dir) });
    t.after(async () => {
      if (server.child.exitCode !== null || server.child.signalCode !== null) return;
      server.child.kill('SIGTERM');
      await exitOf(server.child);
    });
    const logLines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const warning = logLines.find((line) => /kernel sandbox is off \(--kernel-sandbox none\): kernels are not isolated/.test(line.msg));
    assert.ok(warning, `no warning in the log:\n${server.output()}`);
    assert.equal(warning.level, 40, 'logged below warn level');
    // Printed right after the login URL, which spawnServer waited for.
    await eventually(() => /WARNING: --kernel-sandbox none: kernels are NOT isolated/.test(server.output()), { message: `no warning on the terminal:\n${server.output()}` });

    const admin = apiClient(server.url, ADMIN);
    assert.equal((await admin<{ kernelSandbox: string }>('GET', '/api/me')).body.kernelSandbox, 'none');
    const nb = await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'plain',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', id: 'c', source: '1+1', metadata: {}, outputs: [], execution_count: null }] },
    });
    assert.equal(nb.status, 201, JSON.stringify(nb.body));
    const ran = await admin<{ runs: Array<{ status: string; outputs: Output[] }> }>('POST', `/api/notebooks/${nb.body.id}/execute?wait=true`, { cellIds: ['c'] });
    const output = ran.body.runs[0]?.outputs[0];
    assert.ok(output && 'data' in output && output.data['text/plain'] === '2', JSON.stringify(ran.body));

    server.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(server.child), { code: 0, signal: null }, server.output());
  });
});
