// Per-kernel limits, with real kernels in real sandboxes: a memory bomb kills only its own kernel,
// and its user reads why; a bounded fork loop runs into the process limit; another user's kernel
// answers before, during and after.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Output } from '../../shared/nbformat.ts';
import { privateRoom } from '../../shared/rooms.ts';
import { privateDoc } from '../../shared/layout.ts';
import { connectDoc } from '../helpers/clients.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

interface RunAnswer {
  status: string;
  outputs: Output[];
  message?: string;
}


const FORKS = `
import errno, os, signal, time
children, failure = [], None
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
except OSError as error:
    failure = errno.errorcode.get(error.errno, str(error.errno))
finally:
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
print(len(children), failure)
`;
import { codeCell as code } from '../helpers/cells.ts';

const CELLS = [code('one', '1+1'), code('bomb', 'x = bytearray(3 * 2**30)'), code('forks', FORKS)];

/** What the cell printed to stdout. */
function text(run: RunAnswer): string {
  return run.outputs.map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? String(o.text) : '')).join('');
}

/** The cell's value (stderr may hold IPython's warnings: after 1000 runs it flushes its output cache). */
function result(run: RunAnswer): string | undefined {
  const value = run.outputs.find((o) => o.output_type === 'execute_result');
  return value && 'data' in value ? String(value.data['text/plain']) : undefined;
}

describe('kernel limits (memory 256 MiB, 64 processes)', { timeout: 300_000 }, () => {
  let server: TestServer;
  let nb: string;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  const run = async (user: { token: string }, cellId: string): Promise<RunAnswer> => {
    const res = await server.api(user.token)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cellId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.runs[0]!;
  };
  const kernelPid = async (api: Api): Promise<number> => (await api<{ pid: number }>('GET', `/api/notebooks/${nb}/kernel`)).body.pid;
  /** Runs Bob's `1+1` every 50 ms until `until` settles; every run must answer 2. */
  const bobKeepsAnswering = async (until: Promise<unknown>): Promise<number> => {
    let done = false;
    void until.finally(() => (done = true));
    let answered = 0;
    do {
      const answer = await run(bob, 'one');
      assert.equal(result(answer), '2', `Bob's kernel stopped answering: ${JSON.stringify(answer)}`);
      answered += 1;
      await sleep(50);
    } while (!done);
    return answered;
  };

  before(async () => {
    server = await startTestServer({ kernelMemoryBytes: 256 * 2 ** 20, kernelMaxProcesses: 64, kernelStartTimeoutMs: 60_000 });
    alice = await server.createUser('alice');
    bob = await server.createUser('bob');
    const admin = server.api(server.adminToken);
    const res = await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'limits',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, cells: CELLS },
    });
    nb = res.body.id;
    for (const user of [alice, bob]) await admin('PUT', `/api/notebooks/${nb}/members/${user.id}`, { role: 'runner' });
    assert.equal(result(await run(alice, 'one')), '2');
    assert.equal(result(await run(bob, 'one')), '2');
  });
  after(() => server?.close());

  it('a bounded fork loop runs into the process limit (EAGAIN) and the kernel lives on; Bob\'s kernel answers throughout', async () => {
    const forks = run(alice, 'forks');
    await bobKeepsAnswering(forks);
    const answer = await forks;
    assert.equal(answer.status, 'ok', JSON.stringify(answer));
    const [made, failure] = text(answer).trim().split(' ');
    assert.equal(failure, 'EAGAIN', `the fork loop was not stopped: ${text(answer)}`);
    assert.ok(Number(made) > 0 && Number(made) < 64, `${made} forks before the limit`);
    assert.equal(result(await run(alice, 'one')), '2', 'the kernel itself survived');
  });

  it('a memory bomb kills only its own kernel; its user reads "kernel died: out of memory (limit 256 MiB)"; Bob\'s kernel answers throughout', async () => {
    const bobPid = await kernelPid(server.api(bob.token));
    const alicePid = await kernelPid(server.api(alice.token));
    const room = connectDoc(server.wsUrl, privateRoom(nb, alice.id), alice.token);
    // Every kernel state Alice's page could show, one per received update: a death's status and
    // its reason arrive in one update, so none shows a dead kernel without the reason.
    const seen: Array<{ status: unknown; message: unknown }> = [];
    try {
      await room.synced();
      const kernelMap = privateDoc(room.doc).kernel;
      room.doc.on('update', () => seen.push({ status: kernelMap.get('status'), message: kernelMap.get('message') }));
      const bomb = run(alice, 'bomb');
      const answered = await bobKeepsAnswering(bomb);
      assert.ok(answered >= 1);
      const answer = await bomb;
      assert.equal(answer.status, 'error');
      assert.equal(answer.message, 'kernel died: out of memory (limit 256 MiB)');
      const kernel = privateDoc(room.doc).kernel;
      await eventually(() => kernel.get('status') === 'dead', { message: `alice's kernel status is ${String(kernel.get('status'))}` });
      assert.equal(kernel.get('message'), 'kernel died: out of memory (limit 256 MiB)');
      assert.deepEqual(
        seen.filter((state) => state.status === 'dead' && state.message == null),
        [],
        'an update showed the kernel dead without its reason',
      );
    } finally {
      room.destroy();
    }
    assert.equal(await kernelPid(server.api(bob.token)), bobPid, 'Bob\'s kernel was replaced');
    assert.equal(result(await run(bob, 'one')), '2');
    // Alice's next run gets a fresh kernel.
    assert.equal(result(await run(alice, 'one')), '2');
    assert.notEqual(await kernelPid(server.api(alice.token)), alicePid);
  });
});
