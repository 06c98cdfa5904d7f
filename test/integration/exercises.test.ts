// Exercise cells and scratch cells on the real server (real kernels, real LevelDB): students keep
// their own copy of an exercise cell and their own scratch cells in their private documents, the
// server runs and exports each user's own versions, a teacher's later change reaches students who
// did not edit, and nobody's code reaches anyone else — not a viewer, not another student, not the
// owner's export. Clients are stock y-websocket providers, as the browser's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '../../shared/closeCodes.ts';
import type { Notebook, Output } from '../../shared/nbformat.ts';
import { createExerciseCopy, createScratchCell, exerciseCopies, exerciseCopy, resetExercise, scratchMap, setExercise } from '../../shared/myCells.ts';
import { handinsRoom, privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { publishedMap, type HandIn } from '../../shared/handins.ts';
import { cellSource, findCell } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { closedWith, connectDoc, type DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { RoomProbe } from '../helpers/roomProbe.ts';
import { startTestServer, type Api, type TestServer } from '../helpers/server.ts';
import { pythonValidate } from '../unit/notebooks/notebookFiles.ts';
import { codeCell as code } from '../helpers/cells.ts';

const markdown = (id: string, source: string) => ({ cell_type: 'markdown', id, source, metadata: {} });
const text = (outputs: Output[]) => outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : '')).join('');

interface Person {
  id: string;
  token: string;
  api: Api;
}

interface RunAnswer {
  runs: Array<{ cellId: string; status: string; outputs: Output[] }>;
}

describe('exercise cells and scratch cells', { timeout: 300_000 }, () => {
  let t: TestServer;
  let teacher: Person;
  let ada: Person;
  let bo: Person;
  let viewer: Person;
  let nb: string;
  const clients: DocClient[] = [];
  const open = async (room: string, who: Person) => {
    const client = connectDoc(t.wsUrl, room, who.token);
    clients.push(client);
    await client.synced();
    return client;
  };
  const person = async (name: string): Promise<Person> => {
    const user = await t.createUser(name);
    return { ...user, api: t.api(user.token) };
  };
  const run = async (who: Person, cellIds: string[]) => {
    const res = await who.api<RunAnswer>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.runs;
  };
  /** Waits until the server's copy of a document satisfies `test`. */
  const serverDoc = async <T>(room: string, test: (doc: import('yjs').Doc) => T) =>
    eventually(async () => {
      const lease = await t.server.rooms.acquire(room);
      try {
        return test(lease.room.doc);
      } finally {
        lease.release();
      }
    }, { message: `server document ${room} never matched` });

  before(async () => {
    t = await startTestServer({ kernelStartTimeoutMs: 120_000 });
    teacher = await person('teacher');
    ada = await person('ada');
    bo = await person('bo');
    viewer = await person('vic');
    const created = await teacher.api<{ id: string }>('POST', '/api/notebooks', {
      name: 'Exercises',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          markdown('intro', '# Change n to your favourite number'),
          code('ex', 'n = 1\nprint("n times two is", n * 2)', 'user', { cohort: { exercise: true } }),
          code('after', 'print("after", n)'),
          code('last', 'print("last")'),
        ],
      },
    });
    nb = created.body.id;
    for (const [who, role] of [[ada, 'runner'], [bo, 'runner'], [viewer, 'viewer']] as const) {
      assert.equal((await teacher.api('PUT', `/api/notebooks/${nb}/members/${who.id}`, { role })).status, 200);
    }
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it('each student runs their own copy of an exercise; the teacher’s later change reaches only those who did not edit', async () => {
    const adaMine = await open(privateRoom(nb, ada.id), ada);
    // Ada edits: her copy is made from the teacher's source, then changed.
    const copy = createExerciseCopy(adaMine.doc, 'ex', 'n = 1\nprint("n times two is", n * 2)');
    copy.source.delete(0, 'n = 1'.length);
    copy.source.insert(0, 'n = 21');
    await serverDoc(privateRoom(nb, ada.id), (doc) => exerciseCopy(doc, 'ex')?.source.toString().startsWith('n = 21'));

    const [adaRun] = await run(ada, ['ex']);
    assert.equal(adaRun?.status, 'ok');
    assert.equal(text(adaRun.outputs), 'n times two is 42\n');
    const [boRun] = await run(bo, ['ex']);
    assert.equal(text(boRun!.outputs), 'n times two is 2\n', 'Bo has no copy: he runs the teacher’s source');

    // The teacher changes the shared source.
    const teacherShared = await open(sharedRoom(nb), teacher);
    const source = cellSource(findCell(teacherShared.doc, 'ex')!.cell);
    teacherShared.doc.transact(() => {
      source.delete(0, source.length);
      source.insert(0, 'n = 5\nprint("n times two is", n * 2)');
    });
    await serverDoc(sharedRoom(nb), (doc) => cellSource(findCell(doc, 'ex')!.cell).toString().startsWith('n = 5'));
    assert.equal(text((await run(bo, ['ex']))[0]!.outputs), 'n times two is 10\n', 'an unedited student gets the new source');
    assert.equal(text((await run(ada, ['ex']))[0]!.outputs), 'n times two is 42\n', 'an edited student keeps hers');

    const adaView = await ada.api<{ kind: string; source: string; edited: boolean; teacherChanged: boolean; teacherSource: string; outputs: Output[] }>(
      'GET',
      `/api/notebooks/${nb}/cells/ex/mine`,
    );
    assert.equal(adaView.status, 200);
    assert.deepEqual(
      { kind: adaView.body.kind, source: adaView.body.source, edited: adaView.body.edited, teacherChanged: adaView.body.teacherChanged, teacherSource: adaView.body.teacherSource },
      { kind: 'exercise', source: 'n = 21\nprint("n times two is", n * 2)', edited: true, teacherChanged: true, teacherSource: 'n = 5\nprint("n times two is", n * 2)' },
    );
    assert.equal(text(adaView.body.outputs), 'n times two is 42\n');
    const boView = await bo.api<{ source: string; edited: boolean; teacherChanged: boolean }>('GET', `/api/notebooks/${nb}/cells/ex/mine`);
    assert.deepEqual(boView.body.source, 'n = 5\nprint("n times two is", n * 2)');
    assert.equal(boView.body.edited, false);

    // The teacher's export and documents never hold a student's source.
    const teacherExport = await teacher.api('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=mine`);
    assert.ok(!JSON.stringify(teacherExport.body).includes('n = 21'), 'Ada’s source is in the teacher’s export');
    assert.ok(!JSON.stringify(teacherShared.doc.toJSON()).includes('n = 21'));

    // Reset: back to the teacher's version.
    resetExercise(adaMine.doc, 'ex');
    await serverDoc(privateRoom(nb, ada.id), (doc) => !exerciseCopies(doc).has('ex'));
    assert.equal(text((await run(ada, ['ex']))[0]!.outputs), 'n times two is 10\n');

    // An exercise cell switched off runs the teacher's source, even for a student with a copy.
    createExerciseCopy(adaMine.doc, 'ex', 'print("my copy")');
    await serverDoc(privateRoom(nb, ada.id), (doc) => exerciseCopies(doc).has('ex'));
    teacherShared.doc.transact(() => setExercise(findCell(teacherShared.doc, 'ex')!.cell, false));
    await serverDoc(sharedRoom(nb), (doc) => JSON.stringify(findCell(doc, 'ex')!.cell.toJSON()).includes('"cohort":{}'));
    assert.equal(text((await run(ada, ['ex']))[0]!.outputs), 'n times two is 10\n');
    teacherShared.doc.transact(() => setExercise(findCell(teacherShared.doc, 'ex')!.cell, true));
    await serverDoc(sharedRoom(nb), (doc) => JSON.stringify(findCell(doc, 'ex')!.cell.toJSON()).includes('"exercise":true'));
    assert.equal(text((await run(ada, ['ex']))[0]!.outputs), 'my copy\n');
  });

  it('a viewer gets no copy and no scratch cells: writes to their private document are refused', async () => {
    const viewerShared = await open(sharedRoom(nb), viewer);
    // A raw client: each write is followed by a marker on the same connection, answered only once
    // the write was stored or refused.
    const probe = new RoomProbe(t.wsUrl, privateRoom(nb, viewer.id), viewer.token);
    try {
      await probe.write((doc) => createExerciseCopy(doc, 'ex', 'print("viewer")'));
      await probe.write((doc) => createScratchCell(doc, viewerShared.doc, { after: 'ex', order: 0 }, 'code', 'print("viewer scratch")'));
      const lease = await t.server.rooms.acquire(privateRoom(nb, viewer.id));
      try {
        assert.equal(exerciseCopies(lease.room.doc).size, 0);
        assert.equal(scratchMap(lease.room.doc).size, 0);
      } finally {
        lease.release();
      }
    } finally {
      probe.close();
    }
    const res = await viewer.api<{ error: { code: string } }>('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['ex'] });
    assert.equal(res.status, 403);
  });

  it('scratch cells run in their owner’s kernel, export in place and valid, and stay out of everyone else’s', async () => {
    const adaShared = await open(sharedRoom(nb), ada);
    const adaMine = await open(privateRoom(nb, ada.id), ada);
    const first = createScratchCell(adaMine.doc, adaShared.doc, { after: 'ex', order: 0 }, 'code', 'scratch_value = n + 100\nprint("scratch", scratch_value)');
    const note = createScratchCell(adaMine.doc, adaShared.doc, { after: 'ex', order: 1 }, 'markdown', 'My **own** note');
    const top = createScratchCell(adaMine.doc, adaShared.doc, { after: null, order: 0 }, 'code', 'print("top")');
    await serverDoc(privateRoom(nb, ada.id), (doc) => scratchMap(doc).size === 3);

    const runs = await run(ada, ['ex', first.id, note.id, 'after']);
    assert.deepEqual(runs.map((r) => r.cellId), ['ex', first.id, 'after'], 'the markdown scratch cell is skipped as markdown cells are');
    assert.equal(text(runs[1]!.outputs), 'scratch 105\n', 'the scratch cell ran in Ada’s kernel, after her exercise (n = 5)');
    const other = await bo.api<{ error: { code: string } }>('POST', `/api/notebooks/${nb}/execute`, { cellIds: [first.id] });
    assert.equal(other.status, 404, 'another student cannot run (or even name) Ada’s scratch cell');
    assert.equal(other.body.error.code, 'cell_not_found');
    const mine = await ada.api<{ kind: string; source: string; outputs: Output[] }>('GET', `/api/notebooks/${nb}/cells/${first.id}/mine`);
    assert.equal(mine.body.kind, 'scratch');
    assert.equal(text(mine.body.outputs), 'scratch 105\n');
    assert.equal((await bo.api('GET', `/api/notebooks/${nb}/cells/${first.id}/mine`)).status, 404);

    const exported = await ada.api<Notebook>('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=mine`);
    assert.equal(exported.status, 200);
    const notebook = exported.body;
    assert.deepEqual(notebook.cells.map((c) => c.id), [top.id, 'intro', 'ex', first.id, note.id, 'after', 'last']);
    const scratchJSON = notebook.cells[3]!;
    assert.equal(scratchJSON.cell_type, 'code');
    assert.deepEqual(scratchJSON.metadata, { cohort: { scratch: true } });
    assert.equal(text(scratchJSON.cell_type === 'code' ? scratchJSON.outputs : []), 'scratch 105\n');
    assert.equal(notebook.cells[2]!.source.toString().replace(/,/g, ''), 'print("my copy")', 'my exercise version is exported');
    assert.deepEqual(await pythonValidate([JSON.stringify(notebook)]), [null]);
    // And back in: the file imports as a notebook of its own, my cells as ordinary cells, in order.
    const reimported = await ada.api<{ id: string }>('POST', '/api/notebooks', { name: 'my copy', notebook });
    assert.equal(reimported.status, 201, JSON.stringify(reimported.body));
    const again = (await ada.api<Notebook>('GET', `/api/notebooks/${reimported.body.id}/export?format=ipynb&outputs=shared`)).body;
    assert.deepEqual(again.cells.map((c) => [c.id, [c.source].flat().join('')]), notebook.cells.map((c) => [c.id, [c.source].flat().join('')]));

    for (const who of [bo, teacher]) {
      for (const outputs of ['mine', 'shared', 'none']) {
        const body = JSON.stringify((await who.api('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=${outputs}`)).body);
        assert.ok(!body.includes(first.id) && !body.includes('scratch_value') && !body.includes('my copy'), `Ada’s code in ${outputs} export of another user`);
      }
    }
    const plain = (await ada.api<Notebook>('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=shared`)).body;
    assert.deepEqual(plain.cells.map((c) => c.id), ['intro', 'ex', 'after', 'last'], 'the plain export is the shared notebook');
    await serverDoc(sharedRoom(nb), (doc) => !JSON.stringify(doc.toJSON()).includes('scratch_value') && 'clean');
  });

  it('hand-ins: source and output to the teacher only, to the class with the session option; the roster counts edits, runs and errors', async () => {
    const started = await teacher.api<{ code: string; startedAt: number }>('POST', `/api/notebooks/${nb}/session`);
    assert.equal(started.status, 201);
    const boShared = await open(sharedRoom(nb), bo);
    const teacherHandins = await open(handinsRoom(nb), teacher);
    // Ada edits and runs the exercise (an error), Bo runs it unedited; both are counted.
    const adaMine = await open(privateRoom(nb, ada.id), ada);
    resetExercise(adaMine.doc, 'ex');
    createExerciseCopy(adaMine.doc, 'ex', 'print("ada\'s answer")\nraise ValueError("oops")');
    await serverDoc(privateRoom(nb, ada.id), (doc) => exerciseCopy(doc, 'ex')?.source.toString().includes('oops'));
    assert.equal((await run(ada, ['ex']))[0]!.status, 'error');
    assert.equal((await run(bo, ['ex']))[0]!.status, 'ok');
    const roster = await teacher.api<{ exercises: Array<{ cellId: string; edited: number; ran: number; errors: number }> }>('GET', `/api/notebooks/${nb}/session/roster`);
    assert.deepEqual(roster.body.exercises, [{ cellId: 'ex', edited: 1, ran: 2, errors: 1 }]);

    // Ada hands in her exercise: the teacher's hand-ins document has her source and output, the shared one nothing.
    const handed = await ada.api<{ source: string; visibleToClass: boolean; kind: string; outputs: Output[] }>('POST', `/api/notebooks/${nb}/cells/ex/publish`);
    assert.equal(handed.status, 201, JSON.stringify(handed.body));
    assert.equal(handed.body.visibleToClass, false);
    assert.equal(handed.body.kind, 'exercise');
    const fromTeacher = await eventually(() => publishedMap(teacherHandins.doc).get('ex')?.get(ada.id) as (HandIn | undefined));
    assert.equal(fromTeacher.source, 'print("ada\'s answer")\nraise ValueError("oops")');
    assert.equal(fromTeacher.session, started.body.startedAt, 'a hand-in says which live session it came in during');
    assert.match(text(fromTeacher.outputs), /ada's answer[\s\S]*ValueError: oops/);
    // Nothing of it reaches the class: a marker written after it arrives, the hand-in does not.
    assert.equal((await teacher.api('POST', `/api/notebooks/${nb}/session/options`, { handinsVisible: false })).status, 204);
    await eventually(() => boShared.doc.getMap('session').get('handinsVisible') === false);
    assert.ok(!JSON.stringify(boShared.doc.toJSON()).includes('ada\'s answer'));
    const boHandins = connectDoc(t.wsUrl, handinsRoom(nb), bo.token);
    clients.push(boHandins);
    assert.equal(await closedWith(boHandins), CloseCode.Forbidden, 'a student cannot open the hand-ins');
    // A scratch cell's hand-in names the cell it follows.
    const adaShared = await open(sharedRoom(nb), ada);
    const scratch = createScratchCell(adaMine.doc, adaShared.doc, { after: 'after', order: 5 }, 'code', 'print("extra")');
    await serverDoc(privateRoom(nb, ada.id), (doc) => scratchMap(doc).has(scratch.id));
    const scratchHandIn = await ada.api<{ kind: string; after: string; source: string }>('POST', `/api/notebooks/${nb}/cells/${scratch.id}/publish`);
    assert.deepEqual([scratchHandIn.status, scratchHandIn.body.kind, scratchHandIn.body.after, scratchHandIn.body.source], [201, 'scratch', 'after', 'print("extra")']);

    // With the session option, hand-ins go to the class.
    assert.equal((await bo.api('POST', `/api/notebooks/${nb}/session/options`, { handinsVisible: true })).status, 403);
    assert.equal((await teacher.api('POST', `/api/notebooks/${nb}/session/options`, { handinsVisible: 'yes' })).status, 400);
    assert.equal((await teacher.api('POST', `/api/notebooks/${nb}/session/options`, { handinsVisible: true })).status, 204);
    const boHanded = await bo.api<{ visibleToClass: boolean; source: string }>('POST', `/api/notebooks/${nb}/cells/ex/publish`);
    assert.equal(boHanded.body.visibleToClass, true);
    await eventually(() => (adaShared.doc.getMap('published').get('ex') as import('yjs').Map<HandIn> | undefined)?.get(bo.id)?.source === boHanded.body.source);
    // The teacher shows Ada's (teacher-only) hand-in to the class: now the class has it.
    assert.equal((await teacher.api('POST', `/api/notebooks/${nb}/session/spotlight`, { cellId: 'ex', userId: ada.id })).status, 204);
    await eventually(() => (boShared.doc.getMap('published').get('ex') as import('yjs').Map<HandIn> | undefined)?.get(ada.id)?.source.includes('oops'));

    // Too large to hand in: refused whole, nothing stored.
    const bigCopy = exerciseCopy(adaMine.doc, 'ex')!;
    bigCopy.source.insert(0, `# ${'x'.repeat(1100 * 1024)}\n`);
    await serverDoc(privateRoom(nb, ada.id), (doc) => (exerciseCopy(doc, 'ex')?.source.length ?? 0) > 1024 * 1024);
    const tooBig = await ada.api<{ error: { code: string; message: string } }>('POST', `/api/notebooks/${nb}/cells/ex/publish`);
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.body.error.message, /source and output .*\(--max-published-bytes\)/);

    // Clearing removes every hand-in and the spotlight.
    assert.equal((await teacher.api('DELETE', `/api/notebooks/${nb}/session/handins`)).status, 204);
    await eventually(() => publishedMap(teacherHandins.doc).size === 0 && publishedMap(boShared.doc).size === 0 && !boShared.doc.getMap('session').has('spotlight'));
    resetExercise(adaMine.doc, 'ex');
    assert.equal((await teacher.api('DELETE', `/api/notebooks/${nb}/session?keepPrivate=true`)).status, 204);
  });

  it('a malformed scratch cell is refused by the schema; a private document past its limit is refused with the limit named', async () => {
    const adaMine = await open(privateRoom(nb, ada.id), ada);
    scratchMap(adaMine.doc).set('scratch-bad', new (await import('yjs')).Map());
    assert.equal(await closedWith(adaMine), CloseCode.SchemaViolation);
    assert.match(adaMine.closes[0]!.reason, /scratch cell without id, cell_type, source, metadata, order/);

    const small = await startTestServer({ maxDocumentBytes: 16 * 1024, maxPublishedBytes: 1000 });
    try {
      const owner = await small.createUser('owner');
      const student = await small.createUser('student');
      const ownerApi = small.api(owner.token);
      const id = (await ownerApi<{ id: string }>('POST', '/api/notebooks', { name: 'n', notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [code('a', 'x = 1')] } })).body.id;
      await ownerApi('PUT', `/api/notebooks/${id}/members/${student.id}`, { role: 'runner' });
      const shared = connectDoc(small.wsUrl, sharedRoom(id), student.token);
      const mine = connectDoc(small.wsUrl, privateRoom(id, student.id), student.token);
      clients.push(shared, mine);
      await shared.synced();
      await mine.synced();
      // What one student hands in is bounded in all (8 × --max-published-bytes), however many cells they make.
      const studentApi = small.api(student.token);
      const cells = Array.from({ length: 9 }, (_, i) => createScratchCell(mine.doc, shared.doc, { after: 'a', order: i }, 'code', `# ${i}\n${'h'.repeat(800)}`));
      await eventually(async () => {
        const lease = await small.server.rooms.acquire(privateRoom(id, student.id));
        try {
          return scratchMap(lease.room.doc).size === 9;
        } finally {
          lease.release();
        }
      });
      for (const scratch of cells.slice(0, 8)) assert.equal((await studentApi('POST', `/api/notebooks/${id}/cells/${scratch.id}/publish`)).status, 201);
      const full = await studentApi<{ error: { code: string; message: string } }>('POST', `/api/notebooks/${id}/cells/${cells[8]!.id}/publish`);
      assert.equal(full.status, 413);
      assert.equal(full.body.error.code, 'handins_full');
      assert.match(full.body.error.message, /8 × --max-published-bytes/);
      assert.equal((await studentApi('POST', `/api/notebooks/${id}/cells/${cells[0]!.id}/publish`)).status, 201, 'handing in the same cell again replaces it');
      createScratchCell(mine.doc, shared.doc, { after: 'a', order: 20 }, 'code', 'z'.repeat(20 * 1024));
      assert.equal(await closedWith(mine), CloseCode.DocumentFull);
      assert.match(mine.closes[0]!.reason, /exceed its limit of 16\.0 KiB/);
      // The cells before were stored, the one past the limit was not.
      const lease = await small.server.rooms.acquire(privateRoom(id, student.id));
      try {
        assert.equal(scratchMap(lease.room.doc).size, 9);
      } finally {
        lease.release();
      }
    } finally {
      await small.close();
    }
  });

  it('scratch cells survive a restart of the server', async () => {
    const restartable = await startTestServer();
    let second: TestServer | undefined;
    try {
      const owner = await restartable.createUser('owner');
      const ownerApi = restartable.api(owner.token);
      const id = (await ownerApi<{ id: string }>('POST', '/api/notebooks', { name: 'n', notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [code('a', 'x = 1'), code('b', 'y = 2')] } })).body.id;
      const shared = connectDoc(restartable.wsUrl, sharedRoom(id), owner.token);
      const mine = connectDoc(restartable.wsUrl, privateRoom(id, owner.id), owner.token);
      await shared.synced();
      await mine.synced();
      const scratch = createScratchCell(mine.doc, shared.doc, { after: 'a', order: 0 }, 'code', 'print("kept")');
      // The anchor is deleted before the restart: the scratch cell's place comes from its position.
      sharedDoc(shared.doc).cells.delete(0, 1);
      await eventually(async () => {
        const lease = await restartable.server.rooms.acquire(privateRoom(id, owner.id));
        const leaseShared = await restartable.server.rooms.acquire(sharedRoom(id));
        try {
          return scratchMap(lease.room.doc).has(scratch.id) && sharedDoc(leaseShared.room.doc).cells.length === 1;
        } finally {
          lease.release();
          leaseShared.release();
        }
      });
      shared.destroy();
      mine.destroy();
      const dir = restartable.dataDir;
      await restartable.server.close();
      second = await startTestServer({ dataDir: dir });
      const exported = (await second.api(owner.token)<Notebook>('GET', `/api/notebooks/${id}/export?format=ipynb&outputs=mine`)).body;
      assert.deepEqual(exported.cells.map((c) => c.id), [scratch.id, 'b'], 'the scratch cell is at its deleted anchor’s place, before b');
    } finally {
      await second?.close();
      await restartable.close();
    }
  });
});
