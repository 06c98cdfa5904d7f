// A classroom of 30 simulated students (Node Yjs clients plus REST, real kernels): join with the
// code, each runs the same user-scope cell with their own input and sees only their own output;
// the roster counts them; hidden cells and other students' rooms stay closed; ending the session
// disconnects the guests and stops their kernels.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '../../shared/closeCodes.ts';
import type { Output } from '../../shared/nbformat.ts';
import { hiddenRoom, privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellId, outputsToJSON } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import { closedWith, connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { processGone } from '../helpers/kernel.ts';
import { eventually } from '../helpers/eventually.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

const STUDENTS = 30;

interface Student {
  i: number;
  id: string;
  token: string;
  shared: DocClient;
  mine: DocClient;
}

const streamText = (outputs: Output[]) => outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : '')).join('');

const alive = (pid: number) => !processGone(pid);

/** Runs `work` over `items` with at most `limit` at once (2 cores, 30 kernels). */
async function inBatches<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe(`a live class of ${STUDENTS} students`, { timeout: 600_000 }, () => {
  let t: TestServer;
  let teacher: { id: string; token: string };
  let nb: string;
  let joinCode: string;
  const students: Student[] = [];
  const clients: DocClient[] = [];
  const open = (room: string, token: string) => {
    const c = connectDoc(t.wsUrl, room, token);
    clients.push(c);
    return c;
  };

  before(async () => {
    // 30 kernels starting on 2 cores, maybe beside other tests: give each start room.
    t = await startTestServer({ maxKernels: STUDENTS + 4, maxKernelsPerUser: 2, kernelStartTimeoutMs: 120_000 });
    teacher = await t.createUser('teacher');
    const created = await t.api(teacher.token)<{ id: string }>('POST', '/api/notebooks', {
      name: 'Lesson',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          code('ask', "value = input('your value? ')\nprint('hello', value)"),
          code('next', 'print(value * 2)'),
          code('answer', 'SECRET_ANSWER = 42'),
        ],
      },
    });
    nb = created.body.id;
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it('the teacher starts a session and hides the cells below a mark', async () => {
    const started = await t.api(teacher.token)<{ code: string; joinUrl: string }>('POST', `/api/notebooks/${nb}/session`);
    assert.equal(started.status, 201);
    joinCode = started.body.code;
    assert.match(joinCode, /^[A-Z0-9]{7}$/);
    assert.ok(started.body.joinUrl.endsWith(`/#/join/${joinCode}`));
    const again = await t.api(teacher.token)<{ code: string }>('POST', `/api/notebooks/${nb}/session`);
    assert.equal(again.status, 200);
    assert.equal(again.body.code, joinCode);
    const hidden = await t.api(teacher.token)<{ hidden: number }>('POST', `/api/notebooks/${nb}/session/hide`, { fromCellId: 'next' });
    assert.equal(hidden.body.hidden, 2);
  });

  it('refuses wrong codes, and limits guessing per address', async () => {
    const wrong = await fetch(`${t.url}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'AAAAAAA', name: 'x' }),
    });
    assert.equal(wrong.status, 404);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'join_code_invalid');
    const guarded = await startTestServer({ joinAttemptsPerMinute: 3 });
    try {
      const attempt = () =>
        fetch(`${guarded.url}/api/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: 'CCCCCCC', name: 'guesser' }),
        }).then((r) => r.status);
      assert.deepEqual([await attempt(), await attempt(), await attempt(), await attempt()], [404, 404, 404, 429]);
    } finally {
      await guarded.close();
    }
  });

  it(`${STUDENTS} students join with the code and see the notebook without the hidden cells`, async () => {
    await inBatches([...Array(STUDENTS).keys()], 10, async (i) => {
      const res = await fetch(`${t.url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: joinCode.toLowerCase(), name: `Student ${i}` }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('set-cookie') ?? '', /cohort_session=/);
      const body = (await res.json()) as { notebookId: string; user: { id: string; guest: boolean }; token: string };
      assert.equal(body.notebookId, nb);
      assert.equal(body.user.guest, true);
      const shared = open(sharedRoom(nb), body.token);
      const mine = open(privateRoom(nb, body.user.id), body.token);
      await Promise.all([shared.synced(20_000), mine.synced(20_000)]);
      students[i] = { i, id: body.user.id, token: body.token, shared, mine };
    });
    for (const s of students) {
      assert.deepEqual(sharedDoc(s.shared.doc).cells.map(cellId), ['ask']);
      assert.doesNotMatch(JSON.stringify(s.shared.doc.toJSON()), /SECRET_ANSWER/);
    }
  });

  it('each student runs the same cell with their own input and sees only their own output', async () => {
    await inBatches(students, 6, async (s) => {
      const res = await t.api(s.token)('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['ask'] });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const asked = await eventually(
        () => {
          const execution = privateDoc(s.mine.doc).executions.get('ask');
          if (execution?.status === 'error') return { failed: execution.message ?? 'see its outputs' };
          const request = privateDoc(s.mine.doc).stdin.get('request');
          return request ? { request } : undefined;
        },
        { timeoutMs: 150_000, message: `no prompt for student ${s.i}` },
      );
      assert.ok(!('failed' in asked), `student ${s.i}'s run failed before asking: ${'failed' in asked ? asked.failed : ''}`);
      assert.equal((await t.api(s.token)('POST', `/api/notebooks/${nb}/stdin`, { value: `value-${s.i}` })).status, 204);
      await eventually(() => privateDoc(s.mine.doc).executions.get('ask')?.status === 'ok', { timeoutMs: 60_000 });
    });
    for (const s of students) {
      assert.equal(streamText(outputsToJSON(privateDoc(s.mine.doc).outputs.get('ask'))), `hello value-${s.i}\n`);
      const everything = JSON.stringify(s.mine.doc.toJSON()) + JSON.stringify(s.shared.doc.toJSON());
      for (const other of students) {
        if (other !== s) assert.ok(!everything.includes(`value-${other.i}\\n`), `student ${s.i} sees student ${other.i}'s output`);
      }
    }
  });

  it('the roster shows 30 connected and 30 successful runs — counts, never outputs', async () => {
    const roster = await t.api(teacher.token)<{
      students: Array<{ userId: string; connected: boolean; kernel: string }>;
      connected: number;
      cells: Array<{ cellId: string; ran: number; ok: number; errors: number }>;
    }>('GET', `/api/notebooks/${nb}/session/roster`);
    assert.equal(roster.status, 200);
    assert.equal(roster.body.students.length, STUDENTS);
    assert.equal(roster.body.connected, STUDENTS);
    assert.deepEqual(roster.body.cells.find((c) => c.cellId === 'ask'), { cellId: 'ask', ran: STUDENTS, ok: STUDENTS, errors: 0 });
    assert.ok(roster.body.students.every((s) => s.kernel === 'idle'));
    assert.doesNotMatch(JSON.stringify(roster.body), /value-/);
    assert.equal((await t.api(students[0]!.token)('GET', `/api/notebooks/${nb}/session/roster`)).status, 403);
  });

  it("a student can open neither another student's private room nor the hidden cells", async () => {
    const [a, b] = [students[0]!, students[1]!];
    assert.equal(await closedWith(open(privateRoom(nb, b.id), a.token)), CloseCode.Forbidden);
    assert.equal(await closedWith(open(hiddenRoom(nb), a.token)), CloseCode.Forbidden);
    assert.equal((await t.api(a.token)('POST', `/api/notebooks/${nb}/session/reveal`)).status, 403);
    assert.equal((await t.api(a.token)('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['next'] })).status, 404);
  });

  it('reveal makes the next cell appear for every student', async () => {
    const res = await t.api(teacher.token)<{ revealed: string[]; hidden: number }>('POST', `/api/notebooks/${nb}/session/reveal`);
    assert.deepEqual(res.body, { revealed: ['next'], hidden: 1 });
    for (const s of students) {
      await eventually(() => sharedDoc(s.shared.doc).cells.map(cellId).join() === 'ask,next');
      assert.doesNotMatch(JSON.stringify(s.shared.doc.toJSON()), /SECRET_ANSWER/);
    }
    // Exports follow the same rule: the teacher's has every cell, a student's only the revealed ones.
    const exported = async (token: string) =>
      (await t.api(token)<{ cells: Array<{ id: string }> }>('GET', `/api/notebooks/${nb}/export?format=ipynb`)).body.cells.map((c) => c.id);
    assert.deepEqual(await exported(teacher.token), ['ask', 'next', 'answer']);
    assert.deepEqual(await exported(students[0]!.token), ['ask', 'next']);
  });

  it('ending the session disconnects the guests with a clear message and stops their kernels', async () => {
    const pids = students.map((s) => t.kernelPid({ notebookId: nb, userId: s.id }));
    assert.ok(pids.every((pid) => typeof pid === 'number' && alive(pid)));
    const ended = await t.api(teacher.token)('DELETE', `/api/notebooks/${nb}/session?keepPrivate=false`);
    assert.equal(ended.status, 204);
    for (const s of students) {
      await eventually(() => s.mine.closes.find((c) => c.code === CloseCode.Revoked));
      assert.equal(s.mine.closes.find((c) => c.code === CloseCode.Revoked)!.reason, 'the live session has ended');
    }
    await eventually(() => pids.every((pid) => !alive(pid!)), { timeoutMs: 30_000, message: 'guest kernels still running' });
    assert.equal((await t.api(students[0]!.token)('GET', '/api/me')).status, 401, "a guest's token still works");
    assert.equal((await t.server.store.docs.list(`${nb}/user/`)).length, 0, "guests' private documents were kept");
    const session = await t.api(teacher.token)<{ active: boolean }>('GET', `/api/notebooks/${nb}/session`);
    assert.equal(session.body.active, false);
    const rejoin = await fetch(`${t.url}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: joinCode, name: 'late' }),
    });
    assert.equal(rejoin.status, 404);
  });
});
