// SIGKILL the server while clients type; restart on the same data dir: every update any client had
// received from the server is there (an update is stored before it is broadcast).
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { sharedRoom } from '../../shared/rooms.ts';
import { cellSource } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { apiClient, spawnServer, tempDir } from '../helpers/server.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually, sleep } from '../helpers/eventually.ts';

const dataDir = tempDir();
const clients: DocClient[] = [];
const servers: ChildProcess[] = [];
after(() => {
  for (const c of clients) c.destroy();
  // A failed or timed-out run must not leave a server holding this file's process open.
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

// Two server starts from source: on a machine busy with other suites each can take tens of seconds.
it('keeps every broadcast update across a SIGKILL of the server', { timeout: 180_000 }, async () => {
  const first = await spawnServer(dataDir);
  servers.push(first.child);
  const admin = apiClient(first.url, 'admin-test-token');
  const nb = await admin<{ id: string }>('POST', '/api/notebooks', {
    name: 'crash',
    notebook: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [0, 1, 2].map((i) => ({ cell_type: 'code', id: `c${i}`, source: '', metadata: {}, outputs: [], execution_count: null })),
    },
  });
  assert.equal(nb.status, 201, JSON.stringify(nb.body));
  const wsUrl = first.url.replace('http', 'ws') + '/sync';
  const room = sharedRoom(nb.body.id);
  const writers = [0, 1].map(() => connectDoc(wsUrl, room, 'admin-test-token'));
  // The observer never writes: everything in its document came from the server.
  const observer = connectDoc(wsUrl, room, 'admin-test-token');
  clients.push(...writers, observer);
  await Promise.all([...writers, observer].map((c) => c.synced()));

  let typing = true;
  const typed = writers.map(async (w, i) => {
    for (let n = 0; typing; n++) {
      cellSource(sharedDoc(w.doc).cells.get(i)).insert(n, String.fromCharCode(97 + (n % 26)));
      await sleep(2);
    }
  });
  await eventually(() => cellSource(sharedDoc(observer.doc).cells.get(0)).length > 50 && cellSource(sharedDoc(observer.doc).cells.get(1)).length > 50);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  typing = false;
  await Promise.all(typed);
  const received = Y.encodeStateAsUpdate(observer.doc);
  const receivedText = [0, 1].map((i) => cellSource(sharedDoc(observer.doc).cells.get(i)).toString());
  for (const c of clients) c.provider.disconnect();

  const second = await spawnServer(dataDir);
  servers.push(second.child);
  try {
    const reader = connectDoc(second.url.replace('http', 'ws') + '/sync', room, 'admin-test-token');
    clients.push(reader);
    await reader.synced();
    assert.ok(Y.snapshotContainsUpdate(Y.snapshot(reader.doc), received), 'a received update is missing after restart');
    for (const i of [0, 1]) {
      assert.ok(cellSource(sharedDoc(reader.doc).cells.get(i)).toString().startsWith(receivedText[i]!));
    }
  } finally {
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }
});
