// What only the gateway provider has to prove, against a real Jupyter Server as the remote
// engine: its kernels are the engine's processes, not Cohort's; one remote kernel per key; a
// dropped WebSocket keeps the kernel; a kernel deleted behind Cohort's back is reported dead and
// replaced; an engine killed mid-run gives a clear error, and runs work again once it is back;
// every remote kernel Cohort started is deleted when it is culled and when Cohort stops; an
// engine that cannot be reached (or refuses the token) stops Cohort from starting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { privateRoom } from '../../shared/rooms.ts';
import { privateDoc } from '../../shared/layout.ts';
import type { Output } from '../../shared/nbformat.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { startJupyterServer } from '../helpers/jupyterServer.ts';
import type { JupyterServer } from '../helpers/jupyterServer.ts';
import { processGone } from '../helpers/kernel.ts';
import { startTestServer } from '../helpers/server.ts';
import type { TestServer } from '../helpers/server.ts';

interface RunAnswer {
  status: string;
  outputs: Output[];
  message?: string;
}

const code = (id: string, source: string) => ({ cell_type: 'code', id, source, metadata: {}, outputs: [], execution_count: null });
const text = (outputs: Output[]) =>
  outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : 'data' in o ? String(o.data['text/plain']) : '')).join('');

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** A TCP relay in front of the engine, so a test can cut Cohort's open connections (and only those). */
async function relayTo(port: () => number): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: port() });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('kernels on a remote engine (gateway provider)', { timeout: 300_000 }, () => {
  let engine: JupyterServer;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let t: TestServer;
  let nb: string;
  const users: Record<string, { id: string; token: string }> = {};
  const clients: DocClient[] = [];

  const run = async (user: string, cellIds: string[]): Promise<RunAnswer[]> => {
    const res = await t.api(users[user]!.token)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.runs;
  };
  const kernelOf = (user: string) => t.server.kernels.get({ notebookId: nb, userId: users[user]!.id })?.kernel;
  const room = async (user: string) => {
    const c = connectDoc(t.wsUrl, privateRoom(nb, users[user]!.id), users[user]!.token);
    clients.push(c);
    await c.synced();
    return privateDoc(c.doc);
  };

  before(async () => {
    engine = await startJupyterServer();
    // Read at each connection: an engine restarted on a fresh port (its own was taken) is still behind the relay.
    relay = await relayTo(() => Number(new URL(engine.url).port));
    t = await startTestServer({ kernelGatewayUrl: relay.url, kernelGatewayToken: engine.token });
    for (const name of ['owner', 'ann', 'ben', 'cat', 'dan', 'eve']) users[name] = await t.createUser(name);
    const created = await t.api(users.owner!.token)<{ id: string }>('POST', '/api/notebooks', {
      name: 'remote',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [code('pid', 'import os\nprint(os.getpid())'), code('setx', 'x = 41'), code('printx', 'print(x + 1)'), code('sleep', 'import time\ntime.sleep(60)')],
      },
    });
    nb = created.body.id;
    for (const name of ['ann', 'ben', 'cat', 'dan', 'eve']) await t.api(users.owner!.token)('PUT', `/api/notebooks/${nb}/members/${users[name]!.id}`, { role: 'runner' });
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t?.close();
    await relay?.close();
    await engine?.stop();
  });

  it("runs in the engine's kernel process, a child of the engine and not of Cohort", async () => {
    const [r] = await run('ann', ['pid']);
    assert.equal(r!.status, 'ok');
    const kernel = kernelOf('ann')!;
    assert.equal(kernel.pid, undefined, 'Cohort claims a local process for a remote kernel');
    const pid = engine.kernelPid(kernel.id);
    assert.equal(text(r!.outputs), `${pid}\n`);
    assert.equal(parentOf(pid!), engine.pid);
    assert.notEqual(parentOf(pid!), process.pid);
    assert.equal(t.server.kernels.providerName, 'gateway');
  });

  it('starts one remote kernel per key, however many runs race for it, and a restart keeps it', async () => {
    const before = await engine.kernelIds();
    const runs = await Promise.all([run('ben', ['setx']), run('ben', ['printx']), run('ben', ['pid'])]);
    assert.ok(runs.flat().every((r) => r.status === 'ok'), JSON.stringify(runs));
    const added = (await engine.kernelIds()).filter((id) => !before.includes(id));
    assert.deepEqual(added, [kernelOf('ben')!.id]);
    assert.equal((await t.api(users.ben!.token)('POST', `/api/notebooks/${nb}/kernel/restart`)).status, 204);
    assert.deepEqual((await engine.kernelIds()).filter((id) => !before.includes(id)), added);
    const [after] = await run('ben', ['printx']);
    assert.match(text(after!.outputs), /NameError/, 'the restart kept the variables');
  });

  it('a dropped WebSocket reconnects to the same kernel, variables kept', async () => {
    assert.equal((await run('cat', ['setx']))[0]!.status, 'ok');
    const kernel = kernelOf('cat')!;
    relay.cut();
    const [r] = await eventually(async () => {
      const answer = await run('cat', ['printx']);
      return answer[0]!.status === 'ok' ? answer : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200, message: 'no run succeeded after the connection dropped' });
    assert.equal(text(r!.outputs), '42\n');
    assert.equal(kernelOf('cat'), kernel, 'the kernel was replaced');
  });

  it('a kernel deleted on the engine behind Cohort is reported dead and replaced on the next run', async () => {
    assert.equal((await run('dan', ['setx']))[0]!.status, 'ok');
    const doc = await room('dan');
    const old = kernelOf('dan')!;
    const deleted = await fetch(`${engine.url}/api/kernels/${old.id}`, { method: 'DELETE', headers: { authorization: `token ${engine.token}` } });
    assert.equal(deleted.status, 204);
    // The whole report: the status and its reason (one update, kernelStatus.ts; sandbox-limits.test.ts
    // asserts no update ever shows one without the other).
    await eventually(() => doc.kernel.get('status') === 'dead' && doc.kernel.get('message') != null, { timeoutMs: 20_000, message: 'the lost kernel was not reported dead' });
    assert.match(String(doc.kernel.get('message')), /gone from its engine|reports the kernel dead|process ended/);
    const [r] = await run('dan', ['printx']);
    assert.equal(r!.status, 'error');
    assert.match(text(r!.outputs), /NameError/);
    assert.notEqual(kernelOf('dan')!.id, old.id);
  });

  it('the engine killed mid-run: the run fails with "unreachable, retrying"; once it is back, runs work', async () => {
    assert.equal((await run('eve', ['setx']))[0]!.status, 'ok');
    const doc = await room('eve');
    const pending = run('eve', ['sleep']);
    await eventually(() => doc.executions.get('sleep')?.status === 'running');
    await engine.kill();
    const [failed] = await pending;
    assert.equal(failed!.status, 'error');
    assert.match(failed!.message ?? '', /kernel engine unreachable, retrying/);
    await eventually(() => doc.kernel.get('status') === 'unreachable', { message: 'users were not told the engine is unreachable' });
    // While it is down a run fails at once, with the same words, rather than hang.
    const [meanwhile] = await run('eve', ['printx']);
    assert.equal(meanwhile!.status, 'error');
    assert.match(meanwhile!.message ?? '', /kernel engine unreachable, retrying/);
    await engine.restart();
    // The restarted engine does not know the old kernel: it is reported dead, and the next run starts a new one.
    await eventually(() => doc.kernel.get('status') === 'dead', { timeoutMs: 30_000, message: 'the kernel lost with the engine was not reported dead' });
    const [again] = await run('eve', ['pid']);
    assert.equal(again!.status, 'ok');
    assert.equal(text(again!.outputs), `${engine.kernelPid(kernelOf('eve')!.id)}\n`);
  });
});

describe('remote kernels are deleted on cull and on shutdown; an unusable engine stops the start', { timeout: 180_000 }, () => {
  let engine: JupyterServer;
  before(async () => {
    engine = await startJupyterServer();
  });
  after(async () => {
    await engine?.stop();
  });

  it('deletes a culled kernel on the engine, and every other one when Cohort stops', async () => {
    const t = await startTestServer({ kernelGatewayUrl: engine.url, kernelGatewayToken: engine.token, cullIdleMs: 1500, poolSize: 1 });
    try {
      const user = await t.createUser('u');
      const created = await t.api(user.token)<{ id: string }>('POST', '/api/notebooks', {
        name: 'cull',
        notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [code('one', '1 + 1')] },
      });
      const key = { notebookId: created.body.id, userId: user.id };
      const res = await t.api(user.token)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${created.body.id}/execute?wait=true`, { cellIds: ['one'] });
      assert.equal(res.body.runs[0]!.status, 'ok');
      const id = t.server.kernels.get(key)!.kernel.id;
      const pid = engine.kernelPid(id)!;
      await eventually(() => t.server.kernels.get(key) === undefined, { timeoutMs: 30_000, message: 'the idle kernel was not culled' });
      await eventually(async () => !(await engine.kernelIds()).includes(id), { message: 'the culled kernel is still on the engine' });
      await eventually(() => processGone(pid), { message: 'the culled kernel process still runs' });
      // The pool pre-starts on the engine too; those go with the rest.
      await t.server.kernels.poolInfo().settled;
      assert.ok((await engine.kernelIds()).length >= 1, 'the pool started nothing on the engine');
    } finally {
      await t.close();
    }
    assert.deepEqual(await engine.kernelIds(), [], 'kernels left on the engine after Cohort stopped');
  });

  it('refuses to start when the engine cannot be reached, or refuses the token', async () => {
    await assert.rejects(startTestServer({ kernelGatewayUrl: 'http://127.0.0.1:9', kernelGatewayToken: 'x' }), /cannot use the kernel gateway at http:\/\/127\.0\.0\.1:9: kernel engine unreachable/);
    await assert.rejects(startTestServer({ kernelGatewayUrl: engine.url, kernelGatewayToken: 'wrong' }), /refused the token/);
  });
});
