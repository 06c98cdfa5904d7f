// Progressive reveal beyond "the next cell": up to and including a chosen hidden cell, or all of
// them, in order; a cell that is not hidden is refused and nothing moves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sharedRoom, hiddenRoom } from '../../shared/rooms.ts';
import { cellId } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

const markdown = (id: string) => ({ cell_type: 'markdown', id, source: `# ${id}`, metadata: {} });

describe('reveal up to a cell, reveal all', { timeout: 60_000 }, () => {
  let t: TestServer;
  let nb: string;
  const reveal = (body: unknown) => t.api(t.adminToken)<{ revealed: string[]; hidden: number; error?: { code: string } }>('POST', `/api/notebooks/${nb}/session/reveal`, body);
  const ids = async (room: string) => {
    const lease = await t.server.rooms.acquire(room);
    try {
      return sharedDoc(lease.room.doc).cells.map(cellId);
    } finally {
      lease.release();
    }
  };

  before(async () => {
    t = await startTestServer();
    const created = await t.api(t.adminToken)<{ id: string }>('POST', '/api/notebooks', {
      name: 'Reveal',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: ['a', 'b', 'c', 'd', 'e', 'f'].map(markdown) },
    });
    nb = created.body.id;
    assert.equal((await t.api(t.adminToken)('POST', `/api/notebooks/${nb}/session/hide`, { fromCellId: 'b' })).status, 200);
  });
  after(() => t.close());

  it('reveals through a hidden cell, refuses one that is not hidden, then reveals the rest', async () => {
    const through = await reveal({ throughCellId: 'd' });
    assert.deepEqual(through.body, { revealed: ['b', 'c', 'd'], hidden: 2 });
    assert.deepEqual(await ids(sharedRoom(nb)), ['a', 'b', 'c', 'd']);

    const notHidden = await reveal({ throughCellId: 'a' });
    assert.equal(notHidden.status, 404);
    assert.deepEqual(await ids(hiddenRoom(nb)), ['e', 'f']);

    const all = await reveal({ all: true });
    assert.deepEqual(all.body, { revealed: ['e', 'f'], hidden: 0 });
    assert.deepEqual(await ids(sharedRoom(nb)), ['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
