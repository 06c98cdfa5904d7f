// Kernel lifecycle through the whole server, with real ipykernel processes: nothing outlives a
// clean stop, a SIGKILLed server's kernels are reaped by the next start, the warm pool serves a
// first run, idle kernels are culled and come back, limits answer 429/503, and a kernelspec that
// cannot start fails the run without hurting the server.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { Output } from '../../shared/nbformat.ts';
import { privateRoom } from '../../shared/rooms.ts';
import { privateDoc } from '../../shared/layout.ts';
import { connectDoc } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { mountPointsUnder } from '../../server/kernels/mounts.ts';
import { REPO_JUPYTER_DIR, kernelProcessesUsing, processEnded, removeDataDir } from '../helpers/kernel.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { apiClient, spawnServer, startTestServer, tempDir } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

interface RunAnswer {
  cellId: string;
  status: string;
  outputs: Output[];
  message?: string;
}
interface KernelAnswer {
  status: string;
  pid?: number;
  fromPool?: boolean;
}
interface ErrorBody {
  error: { code: string; message: string };
}
interface KernelRecordFile {
  kernelId: string;
  /** The process the server started: the sandbox, or the kernel itself without one. */
  pid: number;
  /** The kernel process, once it answered. */
  kernelPid?: number;
  kernelDir: string;
  cgroup?: { dirs: string[] };
}

const ADMIN = 'admin-test-token';
const KERNEL_START_MS = 60_000;


const CELLS = [code('one', '1+1'), code('pid', 'import os\nos.getpid()'), code('sharedpid', 'import os\nos.getpid()', 'shared')];

/** Every data dir this file used: at the end no kernel of one may run. */
const usedDataDirs: string[] = [];

after(async () => {
  assert.deepEqual(kernelProcessesUsing(usedDataDirs), [], 'kernel processes of this file are still running');
  // Here, not in each test: a test's own after hooks run in the order they were added, so the
  // data dir would go before the server that writes into it has stopped.
  for (const dir of usedDataDirs) await removeDataDir(dir);
});

/** Kills a kernel's process group if it still runs: a failed test must not leave it behind. */
function killIfRunning(pid: number): void {
  if (processEnded(pid)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
  }
}

function guardPids(t: TestContext): number[] {
  const pids: number[] = [];
  t.after(() => pids.forEach(killIfRunning));
  return pids;
}

async function exitOf(child: ChildProcess, timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server process ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** A server child process that is stopped (SIGKILL as a last resort) when the test ends. */
async function spawnGuarded(t: TestContext, dataDir: string, extraArgs: string[] = []) {
  const spawned = await spawnServer(dataDir, extraArgs);
  t.after(async () => {
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
    spawned.child.kill('SIGTERM');
    await exitOf(spawned.child).catch((error: unknown) => {
      spawned.child.kill('SIGKILL');
      throw error;
    });
  });
  return spawned;
}

async function startGuarded(t: TestContext, overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer({ kernelStartTimeoutMs: KERNEL_START_MS, ...overrides });
  usedDataDirs.push(server.dataDir);
  t.after(() => server.close());
  return server;
}

async function kernelRecords(dataDir: string): Promise<KernelRecordFile[]> {
  const dir = join(dataDir, 'kernels');
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir)).filter((n) => n.startsWith('record-') && n.endsWith('.json'));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as KernelRecordFile));
}

async function createNotebook(api: Api, cells: unknown[], kernelName = 'python3'): Promise<string> {
  const res = await api<{ id: string }>('POST', '/api/notebooks', {
    name: 'lifecycle',
    notebook: { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: kernelName, display_name: kernelName, language: 'python' } }, cells },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function addRunner(owner: Api, nb: string, userId: string): Promise<void> {
  const res = await owner('PUT', `/api/notebooks/${nb}/members/${userId}`, { role: 'runner' });
  assert.ok(res.status < 300, JSON.stringify(res.body));
}

async function runCell(api: Api, nb: string, cellId: string): Promise<RunAnswer> {
  const res = await api<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cellId] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const [run] = res.body.runs;
  assert.ok(run, 'no run in the answer');
  return run;
}

function resultText(run: RunAnswer): string {
  const result = run.outputs.find((o) => o.output_type === 'execute_result');
  assert.ok(result && 'data' in result, `no execute_result in ${JSON.stringify(run)}`);
  return String(result.data['text/plain']);
}

async function kernelOf(api: Api, nb: string, scope?: 'shared'): Promise<KernelAnswer> {
  const res = await api<KernelAnswer>('GET', `/api/notebooks/${nb}/kernel${scope ? '?scope=shared' : ''}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function runningPid(api: Api, nb: string, scope?: 'shared'): Promise<number> {
  const pid = (await kernelOf(api, nb, scope)).pid;
  assert.ok(typeof pid === 'number' && !processEnded(pid), `kernel ${pid} is not running`);
  return pid;
}

describe('kernel lifecycle', { timeout: 300_000 }, () => {
  it('SIGTERM stops every kernel the server started: user, shared and pool kernels', async (t) => {
    const dataDir = tempDir('cohort-lifecycle-');
    usedDataDirs.push(dataDir);
    const pids = guardPids(t);
    const server = await spawnGuarded(t, dataDir, ['--pool-size', '1']);
    const admin = apiClient(server.url, ADMIN);
    const nb = await createNotebook(admin, CELLS);

    assert.equal((await runCell(admin, nb, 'pid')).status, 'ok');
    assert.equal((await runCell(admin, nb, 'sharedpid')).status, 'ok');
    const userPid = await runningPid(admin, nb);
    const sharedPid = await runningPid(admin, nb, 'shared');
    pids.push(userPid, sharedPid);
    assert.notEqual(userPid, sharedPid);
    // The pool refills after each take; wait until it holds a kernel of its own again.
    const poolPids = await eventually(
      async () => {
        const others = (await kernelRecords(dataDir)).map((r) => r.kernelPid).filter((p) => p !== userPid && p !== sharedPid);
        return others.length > 0 && others.every((p) => p !== undefined && !processEnded(p)) ? (others as number[]) : undefined;
      },
      { timeoutMs: KERNEL_START_MS, message: 'no pool kernel was started' },
    );
    pids.push(...poolPids);

    server.child.kill('SIGTERM');
    const exit = await exitOf(server.child);
    assert.deepEqual(exit, { code: 0, signal: null }, server.output());
    for (const pid of [userPid, sharedPid, ...poolPids]) {
      await eventually(() => processEnded(pid), { timeoutMs: 5_000, message: `kernel ${pid} outlived its server` });
    }
    assert.deepEqual(await kernelRecords(dataDir), [], 'a clean stop leaves no kernel records');
  });

  it('a SIGKILLed server takes its sandboxed kernels along; the next start on the same data dir removes what they left', async (t) => {
    const dataDir = tempDir('cohort-lifecycle-');
    usedDataDirs.push(dataDir);
    const pids = guardPids(t);
    const first = await spawnGuarded(t, dataDir, ['--pool-size', '1']);
    const admin = apiClient(first.url, ADMIN);
    const nb = await createNotebook(admin, CELLS);
    assert.equal((await runCell(admin, nb, 'one')).status, 'ok');
    const pid = await runningPid(admin, nb);
    pids.push(pid);
    // The user's kernel and a pool kernel (whose scratch home is a mount).
    const records = await eventually(async () => {
      const found = await kernelRecords(dataDir);
      return found.length === 2 && found.every((r) => r.kernelPid !== undefined) ? found : undefined;
    }, { timeoutMs: KERNEL_START_MS, message: 'the pool kernel did not start' });
    pids.push(...records.map((r) => r.kernelPid!));
    assert.ok(records.some((r) => r.kernelPid === pid));

    first.child.kill('SIGKILL');
    await exitOf(first.child);
    for (const record of records) {
      await eventually(() => processEnded(record.kernelPid!), { timeoutMs: 5_000, message: `kernel ${record.kernelPid} outlived its SIGKILLed server` });
    }
    assert.ok(records.every((r) => existsSync(r.kernelDir)), 'nothing was cleaned up yet');

    const second = await spawnGuarded(t, dataDir);
    await eventually(async () => (await kernelRecords(dataDir)).length === 0, { timeoutMs: 10_000, message: 'the records of the dead kernels are still there' });
    for (const record of records) {
      assert.equal(existsSync(record.kernelDir), false, `${record.kernelDir} was not removed`);
      for (const dir of record.cgroup?.dirs ?? []) assert.equal(existsSync(dir), false, `cgroup ${dir} was not removed`);
    }
    assert.deepEqual(await mountPointsUnder(dataDir), [], 'mounts of the dead kernels are still there');
    assert.match(second.output(), /removed what kernels of a previous run left/);
    // The restarted server runs the notebook in a fresh kernel.
    const again = apiClient(second.url, ADMIN);
    assert.equal((await runCell(again, nb, 'one')).status, 'ok');
    pids.push(await runningPid(again, nb));
  });

  it('without a sandbox a SIGKILLed server orphans its kernel; the next start on the same data dir kills it and removes its files', async (t) => {
    const dataDir = tempDir('cohort-lifecycle-');
    usedDataDirs.push(dataDir);
    const pids = guardPids(t);
    const first = await spawnGuarded(t, dataDir, ['--kernel-sandbox', 'none']);
    const admin = apiClient(first.url, ADMIN);
    const nb = await createNotebook(admin, CELLS);
    assert.equal((await runCell(admin, nb, 'one')).status, 'ok');
    const pid = await runningPid(admin, nb);
    pids.push(pid);
    const records = await kernelRecords(dataDir);
    assert.deepEqual(records.map((r) => r.kernelPid), [pid]);
    const record = records[0]!;

    first.child.kill('SIGKILL');
    await exitOf(first.child);
    assert.equal(processEnded(pid), false, 'the kernel should outlive a SIGKILLed server');
    assert.ok(existsSync(record.kernelDir));

    const second = await spawnGuarded(t, dataDir, ['--kernel-sandbox', 'none']);
    await eventually(() => processEnded(pid), { timeoutMs: 5_000, message: `orphaned kernel ${pid} still runs` });
    assert.equal(existsSync(record.kernelDir), false, 'the orphan\'s directory (connection file) was not removed');
    assert.deepEqual(await kernelRecords(dataDir), []);
    assert.match(second.output(), new RegExp(`stopped kernels left by a previous run.*${pid}|${pid}.*stopped kernels left by a previous run`));
    const again = apiClient(second.url, ADMIN);
    assert.equal((await runCell(again, nb, 'one')).status, 'ok');
    pids.push(await runningPid(again, nb));
  });

  it('a new user\'s first run takes the warm pool kernel', async (t) => {
    const s = await startGuarded(t, { poolSize: 1 });
    await s.server.kernels.poolInfo().settled;
    const pool = s.server.kernels.poolInfo();
    assert.equal(pool.ready, 1, 'the pool did not fill');
    const [pooledPid] = pool.pids;
    const alice = await s.createUser('alice');
    const nb = await createNotebook(s.api(s.adminToken), CELLS);
    await addRunner(s.api(s.adminToken), nb, alice.id);

    const run = await runCell(s.api(alice.token), nb, 'one');
    assert.equal(run.status, 'ok');
    assert.equal(resultText(run), '2');
    const kernel = await kernelOf(s.api(alice.token), nb);
    assert.equal(kernel.fromPool, true);
    assert.equal(kernel.pid, pooledPid, 'alice got a kernel other than the pooled one');
  });

  it('an idle kernel is culled (status in the private document), and the next run starts a fresh one', async (t) => {
    const s = await startGuarded(t, { cullIdleMs: 1500 });
    const alice = await s.createUser('alice');
    const nb = await createNotebook(s.api(s.adminToken), CELLS);
    await addRunner(s.api(s.adminToken), nb, alice.id);
    const api = s.api(alice.token);
    const pids = guardPids(t);

    assert.equal((await runCell(api, nb, 'one')).status, 'ok');
    const first = await runningPid(api, nb);
    pids.push(first);
    const room = connectDoc(s.wsUrl, privateRoom(nb, alice.id), alice.token);
    t.after(() => room.destroy());
    await room.synced();
    const kernel = privateDoc(room.doc).kernel;
    await eventually(() => kernel.get('status') === 'culled', {
      timeoutMs: 20_000,
      message: `kernel status stayed ${String(kernel.get('status'))}`,
    });
    await eventually(() => processEnded(first), { timeoutMs: 10_000, message: `culled kernel ${first} still runs` });
    assert.equal((await kernelOf(api, nb)).status, 'none');

    const run = await runCell(api, nb, 'one');
    assert.equal(run.status, 'ok');
    assert.equal(resultText(run), '2');
    const second = await runningPid(api, nb);
    pids.push(second);
    assert.notEqual(second, first);
    await eventually(() => kernel.get('status') === 'idle' || kernel.get('status') === 'busy', {
      message: `status after the new run: ${String(kernel.get('status'))}`,
    });
  });

  it('maxKernelsPerUser: a user\'s second notebook is refused with 429 until they free a kernel', async (t) => {
    const s = await startGuarded(t, { maxKernelsPerUser: 1 });
    const alice = await s.createUser('alice');
    const owner = s.api(s.adminToken);
    const nb1 = await createNotebook(owner, CELLS);
    const nb2 = await createNotebook(owner, CELLS);
    await addRunner(owner, nb1, alice.id);
    await addRunner(owner, nb2, alice.id);
    const api = s.api(alice.token);
    const pids = guardPids(t);

    assert.equal((await runCell(api, nb1, 'one')).status, 'ok');
    pids.push(await runningPid(api, nb1));
    const refused = await api<ErrorBody>('POST', `/api/notebooks/${nb2}/execute?wait=true`, { cellIds: ['one'] });
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'kernel_limit');
    assert.match(refused.body.error.message, /at most 1 kernels per user/);
    assert.equal((await kernelOf(api, nb2)).status, 'none');

    assert.equal((await api('DELETE', `/api/notebooks/${nb1}/kernel`)).status, 204);
    assert.equal((await runCell(api, nb2, 'one')).status, 'ok');
    pids.push(await runningPid(api, nb2));
  });

  it('maxKernels: a second user is refused with 503 when the server is full', async (t) => {
    const s = await startGuarded(t, { maxKernels: 1 });
    const alice = await s.createUser('alice');
    const bob = await s.createUser('bob');
    const owner = s.api(s.adminToken);
    const nb = await createNotebook(owner, CELLS);
    await addRunner(owner, nb, alice.id);
    await addRunner(owner, nb, bob.id);
    const pids = guardPids(t);

    assert.equal((await runCell(s.api(alice.token), nb, 'one')).status, 'ok');
    pids.push(await runningPid(s.api(alice.token), nb));
    const refused = await s.api(bob.token)<ErrorBody>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: ['one'] });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'kernel_limit');
    assert.match(refused.body.error.message, /server runs at most 1 kernels/);
  });

  it('a kernelspec that cannot start fails the run with a clear message; the server keeps serving', async (t) => {
    const specRoot = tempDir('cohort-broken-spec-');
    t.after(() => rmSync(specRoot, { recursive: true, force: true }));
    mkdirSync(join(specRoot, 'kernels', 'broken'), { recursive: true });
    writeFileSync(
      join(specRoot, 'kernels', 'broken', 'kernel.json'),
      JSON.stringify({ argv: ['/bin/false'], display_name: 'Broken', language: 'python' }),
    );
    const s = await startGuarded(t, { kernelSpecDirs: [specRoot, REPO_JUPYTER_DIR] });
    const alice = await s.createUser('alice');
    const owner = s.api(s.adminToken);
    const nb = await createNotebook(owner, CELLS, 'broken');
    await addRunner(owner, nb, alice.id);
    const api = s.api(alice.token);

    const run = await runCell(api, nb, 'one');
    assert.equal(run.status, 'error');
    assert.match(run.message ?? '', /kernel could not be started/);
    assert.deepEqual(run.outputs, []);
    const room = connectDoc(s.wsUrl, privateRoom(nb, alice.id), alice.token);
    t.after(() => room.destroy());
    await room.synced();
    const doc = privateDoc(room.doc);
    await eventually(() => doc.kernel.get('status') === 'dead', { message: `kernel status is ${String(doc.kernel.get('status'))}` });
    assert.match(String(doc.kernel.get('message')), /could not be started/);
    assert.equal(doc.executions.get('one')?.status, 'error');

    const health = await fetch(`${s.url}/api/health`);
    assert.equal(health.status, 200);
    // A second try fails the same way instead of hanging on a half-started kernel.
    assert.equal((await runCell(api, nb, 'one')).status, 'error');
    assert.equal((await kernelOf(api, nb)).status, 'none');
  });
});
