// KernelManager with real ipykernel processes: keys, pool, limits, culling, death, dispose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { KernelLimitError, NoSuchKernelError } from '../../server/kernels/errors.ts';
import { createKernelManager } from '../../server/kernels/manager.ts';
import type { KernelManager, KernelManagerOptions, ManagedKernelStatus } from '../../server/kernels/manager.ts';
import type { KernelKey } from '../../server/kernels/kernelKeys.ts';
import { isMessageType } from '../../server/kernels/messages.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { captureLogger, collectIopub, processGone, python3Spec, startedRunning, tempDataDir, testSandbox } from '../helpers/kernel.ts';
import type { TestContext } from 'node:test';

const alice1: KernelKey = { notebookId: 'nb1', userId: 'alice' };
const alice2: KernelKey = { notebookId: 'nb2', userId: 'alice' };
const alice3: KernelKey = { notebookId: 'nb3', userId: 'alice' };
const bob1: KernelKey = { notebookId: 'nb1', userId: 'bob' };
const shared1: KernelKey = { notebookId: 'nb1', shared: true };

async function managerFor(t: TestContext, options: Partial<KernelManagerOptions>): Promise<KernelManager> {
  const logger = captureLogger();
  const spec = await python3Spec(logger);
  const dataDir = await tempDataDir(t);
  const manager = createKernelManager({
    dataDir,
    logger,
    sandbox: await testSandbox(dataDir, logger),
    resolveSpec: async (name) => {
      if (name !== 'python3') throw new Error(`unexpected spec ${name}`);
      return spec;
    },
    ...options,
  });
  t.after(() => manager.dispose());
  return manager;
}

describe('KernelManager', { timeout: 180_000 }, () => {
  it('gives each key its own kernel, takes pooled kernels, enforces limits, and leaves no process on dispose', { timeout: 90_000 }, async (t) => {
    const manager = await managerFor(t, { poolSize: 1, maxKernels: 3, maxKernelsPerUser: 2, cullIdleMs: 0 });
    const statuses: [string, ManagedKernelStatus][] = [];
    manager.on('status', (key, status) => statuses.push([key.notebookId + (key.shared ? '/shared' : `/${key.userId}`), status]));
    await manager.poolInfo().settled;
    const [pooledPid] = manager.poolInfo().pids;
    assert.ok(pooledPid, 'pool did not fill');

    const a1 = await manager.kernelFor(alice1);
    assert.equal(a1.fromPool, true);
    assert.equal(a1.kernel.pid!, pooledPid);
    // Assigning a pooled kernel moves it into its user's home (a short request of the server's), so a
    // 'busy' may come first and its 'idle' trail the assignment: wait for the idle, then compare.
    await eventually(() => statuses.some(([key, status]) => key === 'nb1/alice' && status === 'idle'), { message: 'no idle after assignment' });
    assert.deepEqual(statuses.filter(([, status]) => status !== 'busy').slice(0, 2), [['nb1/alice', 'starting'], ['nb1/alice', 'idle']]);

    // Concurrent first calls share one start; the pool is still refilling, so this one is started.
    const [a2, a2again] = await Promise.all([manager.kernelFor(alice2), manager.kernelFor(alice2)]);
    assert.equal(a2, a2again);
    assert.notEqual(a2.kernel.pid!, a1.kernel.pid);
    assert.equal(await manager.kernelFor(alice1), a1);
    assert.equal(manager.get(alice1), a1);

    // Two users, two processes, no shared state.
    await a1.kernel.execute('secret = "alice"').done;
    const request = a2.kernel.execute('secret');
    await assert.rejects(
      manager.kernelFor(alice3),
      (e) => e instanceof KernelLimitError && e.status === 429 && e.scope === 'user',
    );
    const reply = await request.done;
    assert.ok(reply.content.status === 'error' && reply.content.ename === 'NameError');

    const shared = await manager.kernelFor(shared1);
    assert.notEqual(shared.kernel.pid!, a1.kernel.pid);
    await assert.rejects(manager.kernelFor(bob1), (e) => e instanceof KernelLimitError && e.status === 503 && e.scope === 'total');
    assert.equal(manager.list().length, 3);

    // Shutting one down frees its slot.
    const removed: KernelKey[] = [];
    manager.on('removed', (key) => removed.push(key));
    const sharedPid = shared.kernel.pid!;
    await manager.shutdown(shared1);
    assert.deepEqual(removed, [shared1]);
    assert.ok(processGone(sharedPid));
    assert.equal(manager.get(shared1), undefined);
    await assert.rejects(manager.shutdown(shared1), NoSuchKernelError);
    const bob = await manager.kernelFor(bob1);

    await manager.poolInfo().settled;
    const pids = [a1.kernel.pid, a2.kernel.pid!, bob.kernel.pid!, ...manager.poolInfo().pids];
    assert.equal(new Set(pids).size, 4, `expected 3 assigned + 1 pooled kernel, got ${pids.join(', ')}`);
    await manager.dispose();
    await manager.dispose();
    for (const pid of pids) assert.ok(processGone(pid), `kernel ${pid} still running after dispose`);
    assert.equal(manager.list().length, 0);
    await assert.rejects(manager.kernelFor(alice1), /disposed/);
  });

  it('interrupts and restarts by key, with status events', { timeout: 90_000 }, async (t) => {
    const manager = await managerFor(t, { poolSize: 0, cullIdleMs: 0 });
    const managed = await manager.kernelFor(alice1);
    const statuses: ManagedKernelStatus[] = [];
    manager.on('status', (_key, status) => statuses.push(status));

    const request = managed.kernel.execute('import time; print("sleeping", flush=True); time.sleep(60)');
    await startedRunning(request);
    await manager.interrupt(alice1);
    const reply = await request.done;
    assert.ok(reply.content.status === 'error' && reply.content.ename === 'KeyboardInterrupt');

    await managed.kernel.execute('y = 1').done;
    const oldPid = managed.kernel.pid!;
    await manager.restart(alice1);
    assert.equal(manager.get(alice1), managed, 'restart keeps the same managed kernel');
    assert.notEqual(managed.kernel.pid!, oldPid);
    assert.ok(statuses.includes('busy') && statuses.includes('restarting'));
    assert.equal(statuses.at(-1), 'idle');
    const after = managed.kernel.execute('y');
    const seen = collectIopub(after);
    assert.equal((await after.done).content.status, 'error');
    assert.ok(seen.some((m) => isMessageType(m, 'error') && m.content.ename === 'NameError'));
    await assert.rejects(manager.interrupt(bob1), NoSuchKernelError);
  });

  it('culls a kernel idle longer than cullIdleMs; touch() postpones it', { timeout: 90_000 }, async (t) => {
    const manager = await managerFor(t, { poolSize: 0, cullIdleMs: 400, cullIntervalMs: 50 });
    const managed = await manager.kernelFor(alice1);
    const pid = managed.kernel.pid!;
    const events: string[] = [];
    manager.on('status', (_key, status) => events.push(status));
    manager.on('removed', () => events.push('removed'));

    const touchedUntil = Date.now() + 900;
    while (Date.now() < touchedUntil) {
      manager.touch(alice1);
      await sleep(100);
    }
    assert.equal(manager.get(alice1), managed, 'culled although touched');
    assert.ok(!events.includes('culled'));

    await eventually(() => events.includes('removed'), { timeoutMs: 10_000, message: 'idle kernel never culled' });
    assert.deepEqual(events.slice(-2), ['culled', 'removed']);
    assert.equal(manager.get(alice1), undefined);
    await eventually(() => processGone(pid), { timeoutMs: 5000, message: 'culled kernel process still running' });

    // The next use starts a fresh kernel.
    const again = await manager.kernelFor(alice1);
    assert.notEqual(again.kernel.pid!, pid);
  });

  it('does not cull a busy kernel', { timeout: 90_000 }, async (t) => {
    const manager = await managerFor(t, { poolSize: 0, cullIdleMs: 200, cullIntervalMs: 50 });
    const managed = await manager.kernelFor(alice1);
    const request = managed.kernel.execute('import time; time.sleep(1.2)');
    await request.done;
    assert.equal(manager.get(alice1), managed, 'a kernel busy for longer than cullIdleMs was culled');
    await eventually(() => manager.get(alice1) === undefined, { timeoutMs: 10_000, message: 'not culled once idle' });
  });

  it('reports a kernel that dies, removes it, and starts a new one on the next call', { timeout: 90_000 }, async (t) => {
    const manager = await managerFor(t, { poolSize: 0, cullIdleMs: 0 });
    const managed = await manager.kernelFor(bob1);
    const dead = new Promise<[KernelKey, string]>((resolve) => manager.on('dead', (key, reason) => resolve([key, reason])));
    const removed = new Promise<KernelKey>((resolve) => manager.on('removed', resolve));
    process.kill(managed.kernel.pid!, 'SIGKILL');
    const [key, reason] = await dead;
    assert.deepEqual(key, bob1);
    assert.match(reason, /SIGKILL/);
    assert.deepEqual(await removed, bob1);
    assert.equal(manager.get(bob1), undefined);
    const fresh = await manager.kernelFor(bob1);
    assert.notEqual(fresh, managed);
    assert.equal((await fresh.kernel.execute('2*21').reply).content.status, 'ok');
  });
});
