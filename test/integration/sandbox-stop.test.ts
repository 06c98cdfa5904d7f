// Stopping a kernel stops everything its user's code started, however hard that code tried to get
// away: a daemon that double-forks into a session of its own (setsid), ignores SIGTERM, SIGHUP and
// SIGINT and runs `sleep <marker>`. With real kernels in real sandboxes, in a real server process:
// the daemon dies when its kernel is restarted, when its kernel is shut down, and when the server
// stops (SIGTERM), for user and shared kernels alike. The host finds each daemon by its marker.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';

import type { Output } from '../../shared/nbformat.ts';
import { eventually } from '../helpers/eventually.ts';
import { kernelProcessesUsing, processEnded, removeDataDir } from '../helpers/kernel.ts';
import type { Api } from '../helpers/server.ts';
import { apiClient, spawnServer, tempDir } from '../helpers/server.ts';

const ADMIN = 'admin-test-token';

interface RunAnswer {
  status: string;
  outputs: Output[];
  message?: string;
}

/**
 * Starts the daemon and prints its marker once it runs: the pipe's write end is close-on-exec, so
 * the read returns (end of file) only when the middle child has exited and the grandchild has
 * become `sleep <marker>`.
 */
const DAEMON = `
import os, random, signal
marker = '%d.%06d' % (random.randrange(10**5, 10**6), random.randrange(10**6))
r, w = os.pipe()
middle = os.fork()
if middle == 0:
    os.setsid()
    if os.fork() == 0:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        os.execv('/usr/bin/sleep', ['sleep', marker])
    os._exit(0)
os.close(w)
os.read(r, 1)
os.waitpid(middle, 0)
print(marker)
`;
import { codeCell as code } from '../helpers/cells.ts';


/** Host pids of the processes that run `sleep <marker>` (they belong to no test but this one). */
function daemonsWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') === `sleep\0${marker}\0` && !processEnded(Number(name))) found.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** A process's group and session, as host pids (the host's /proc shows them so). */
function sessionOf(pid: number): { pgrp: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "(comm) ": state, ppid, pgrp, session.
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { pgrp: pgrp!, session: session! };
}

const markers: string[] = [];
const usedDataDirs: string[] = [];
after(async () => {
  // Whatever failed above, no daemon of this file may outlive it.
  const left = markers.flatMap(daemonsWith);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  assert.deepEqual(left, [], 'daemons of this file were still running');
  assert.deepEqual(kernelProcessesUsing(usedDataDirs), [], 'kernel processes of this file are still running');
  for (const dir of usedDataDirs) await removeDataDir(dir);
});

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('a setsid daemon started in a kernel dies with its kernel', { timeout: 300_000 }, () => {
  const dataDir = tempDir('cohort-stop-');
  usedDataDirs.push(dataDir);
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  after(async () => {
    if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
    server.child.kill('SIGTERM');
    await exitOf(server.child);
  });
  let admin: Api;
  let alice: Api;
  let nb = '';

  /** Runs the daemon cell; answers the daemon's host pid once it runs. */
  async function startDaemon(api: Api, cellId: string): Promise<{ marker: string; pid: number }> {
    const res = await api<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cellId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const run = res.body.runs[0]!;
    assert.equal(run.status, 'ok', JSON.stringify(run));
    const marker = run.outputs.map((o) => ('text' in o ? String(o.text) : '')).join('').trim();
    assert.match(marker, /^\d{6}\.\d{6}$/, JSON.stringify(run));
    markers.push(marker);
    const pids = daemonsWith(marker);
    assert.equal(pids.length, 1, `expected one daemon "sleep ${marker}" on the host, found ${pids.length}`);
    // It really left its kernel's session and group (double fork: its session's leader is gone).
    const kernelPid = (await api<{ pid: number }>('GET', `/api/notebooks/${nb}/kernel${cellId === 'shared-daemon' ? '?scope=shared' : ''}`)).body.pid;
    const daemon = sessionOf(pids[0]!);
    const kernel = sessionOf(kernelPid);
    assert.notEqual(daemon.session, kernel.session, 'the daemon stayed in its kernel\'s session');
    assert.notEqual(daemon.pgrp, kernel.pgrp, 'the daemon stayed in its kernel\'s process group');
    assert.ok(processEnded(daemon.session), 'the daemon\'s session leader (the middle child) still runs');
    return { marker, pid: pids[0]! };
  }

  async function assertEnded(daemon: { marker: string; pid: number }, when: string): Promise<void> {
    await eventually(() => processEnded(daemon.pid) && daemonsWith(daemon.marker).length === 0, {
      timeoutMs: 15_000,
      message: `the setsid daemon ${daemon.pid} (sleep ${daemon.marker}) outlived ${when}`,
    });
  }

  it('starts a server and a notebook', async () => {
    server = await spawnServer(dataDir);
    admin = apiClient(server.url, ADMIN);
    const created = await admin<{ id: string; token: string }>('POST', '/api/users', { name: 'alice' });
    assert.equal(created.status, 201);
    alice = apiClient(server.url, created.body.token);
    const res = await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'daemons',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [code('daemon', DAEMON), code('shared-daemon', DAEMON, 'shared'), code('one', '1+1')],
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    nb = res.body.id;
    assert.equal((await admin('PUT', `/api/notebooks/${nb}/members/${created.body.id}`, { role: 'runner' })).status < 300, true);
  });

  it('a kernel restart ends the daemon of the old kernel; the new kernel runs', async () => {
    const daemon = await startDaemon(alice, 'daemon');
    const restarted = await alice('POST', `/api/notebooks/${nb}/kernel/restart`);
    assert.equal(restarted.status, 204, JSON.stringify(restarted.body));
    await assertEnded(daemon, 'the restart of its kernel');
    const again = await alice<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: ['one'] });
    assert.equal(again.body.runs[0]!.status, 'ok', JSON.stringify(again.body));
  });

  it('a kernel shutdown ends its daemon', async () => {
    const daemon = await startDaemon(alice, 'daemon');
    const stopped = await alice('DELETE', `/api/notebooks/${nb}/kernel`);
    assert.equal(stopped.status, 204, JSON.stringify(stopped.body));
    await assertEnded(daemon, 'the shutdown of its kernel');
  });

  it('a shared kernel\'s restart ends its daemon', async () => {
    const daemon = await startDaemon(admin, 'shared-daemon');
    const restarted = await admin('POST', `/api/notebooks/${nb}/kernel/restart?scope=shared`);
    assert.equal(restarted.status, 204, JSON.stringify(restarted.body));
    await assertEnded(daemon, 'the restart of the shared kernel');
  });

  it('stopping the server (SIGTERM) ends the daemons of user and shared kernels', async () => {
    const mine = await startDaemon(alice, 'daemon');
    const shared = await startDaemon(admin, 'shared-daemon');
    server!.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(server!.child), { code: 0, signal: null }, server!.output());
    await assertEnded(mine, 'the server');
    await assertEnded(shared, 'the server');
  });
});
