// The kernel status writer (server/execution/kernelStatus.ts): what the manager says of a kernel in
// one turn reaches the document as one update, so a death's status and its reason arrive together —
// no client (and no store entry) ever holds a dead kernel without its reason.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import type { KernelManager } from '../../../server/kernels/manager.ts';
import type { KernelKey } from '../../../server/kernels/kernelKeys.ts';
import { createLogger } from '../../../server/log.ts';
import { KernelStatusWriter } from '../../../server/execution/kernelStatus.ts';
import type { KernelSession } from '../../../server/execution/session.ts';
import type { Sessions } from '../../../server/execution/sessions.ts';

const key: KernelKey = { notebookId: 'nb', userId: 'ada' };

function setup() {
  const doc = new Y.Doc();
  const kernel = doc.getMap<unknown>('kernel');
  const session = { doc, results: { kernel } } as unknown as KernelSession;
  const sessions = { existing: (asked: KernelKey) => (asked === key ? Promise.resolve(session) : undefined) } as unknown as Sessions;
  const manager = new EventEmitter();
  new KernelStatusWriter(manager as unknown as KernelManager, sessions, createLogger('silent'));
  const updates: Array<{ status: unknown; message: unknown }> = [];
  doc.on('update', () => updates.push({ status: kernel.get('status'), message: kernel.get('message') }));
  return { manager, kernel, updates };
}

describe('kernel status writer', () => {
  it("writes a death's status and reason as one update", async () => {
    const { manager, updates } = setup();
    // As the manager reports a kernel that died: the status, then the reason, in one turn.
    manager.emit('status', key, 'dead');
    manager.emit('dead', key, 'killed: out of memory');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(updates, [{ status: 'dead', message: 'kernel died: killed: out of memory' }]);
  });

  it('writes statuses of later turns as they come, the last one standing', async () => {
    const { manager, kernel, updates } = setup();
    manager.emit('status', key, 'busy');
    await new Promise((resolve) => setImmediate(resolve));
    manager.emit('status', key, 'idle');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      updates.map((u) => u.status),
      ['busy', 'idle'],
    );
    assert.equal(kernel.get('status'), 'idle');
  });

  it('writes nothing for a key without a session', async () => {
    const { manager, updates } = setup();
    manager.emit('status', { notebookId: 'nb', userId: 'bob' }, 'busy');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(updates, []);
  });
});
