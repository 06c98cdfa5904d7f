// A kernel session's one iopub listener (server/execution/session.ts): every message of the kernel
// goes once to the claim hook (the widget bridge), then — unless claimed — to the running cell's
// outputs if the run caused it; an `update_display_data` of no run updates any cell. The fake kernel's
// request has no iopub listener of its own, so a session that still listened there would fail here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { privateDoc } from '../../../shared/layout.ts';
import type { Output } from '../../../shared/nbformat.ts';
import { outputsToJSON } from '../../../shared/schema.ts';
import type { ExecutionInfo, YOutput } from '../../../shared/schema.ts';
import type { ManagedKernel } from '../../../server/kernels/manager.ts';
import type { KernelMessage } from '../../../server/kernels/messages.ts';
import { createLogger } from '../../../server/log.ts';
import type { ActiveRun, SessionHooks } from '../../../server/execution/session.ts';
import { KernelSession } from '../../../server/execution/session.ts';
import type { RoomLease } from '../../../server/sync/rooms.ts';
import type { Room } from '../../../server/sync/room.ts';

let counter = 0;
function message(type: string, parent: string | undefined, content: Record<string, unknown>): KernelMessage {
  return {
    header: { msg_id: `m${++counter}`, msg_type: type, session: 's', username: 'u', date: '', version: '5.3' },
    parent_header: parent ? { msg_id: parent } : {},
    metadata: {},
    content,
    buffers: [],
    identities: [],
  } as unknown as KernelMessage;
}

/** A kernel whose iopub messages the test sends, and whose one execute request it answers. */
function fakeKernel() {
  const listeners = new Set<(msg: KernelMessage) => void>();
  let started!: () => void;
  const executed = new Promise<void>((resolve) => (started = resolve));
  let answer!: (reply: KernelMessage) => void;
  const kernel = {
    state: 'idle',
    onIopub(listener: (msg: KernelMessage) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // The request has no onIopub: its messages reach the session through the kernel's listener only.
    execute() {
      started();
      return { msgId: 'run-1', done: new Promise<KernelMessage>((resolve) => (answer = resolve)), onStdin: () => () => undefined };
    },
  };
  return {
    managed: { kernel } as unknown as ManagedKernel,
    listeners,
    executed,
    send: (msg: KernelMessage) => {
      for (const listener of listeners) listener(msg);
    },
    reply: (count: number) => answer(message('execute_reply', 'run-1', { status: 'ok', execution_count: count })),
  };
}

describe('KernelSession iopub routing', () => {
  it('hands each message on once: the claim hook first, then the run, then display updates', async () => {
    const doc = new Y.Doc();
    const lease = { room: { doc } as unknown as Room, release: () => undefined } as RoomLease;
    const seen: Array<{ type: string; run: string | undefined }> = [];
    const hooks: SessionHooks = {
      claimIopub: (_session, msg, run: ActiveRun | undefined) => {
        seen.push({ type: msg.header.msg_type, run: run?.cellId });
        // Widget traffic, and an output an Output widget captures, are the bridge's.
        return msg.header.msg_type === 'comm_msg' || (msg.content as { text?: string }).text === 'captured\n';
      },
      onInputRequest: () => undefined,
      onRunEnd: () => undefined,
    };
    const session = new KernelSession({ notebookId: 'nb', userId: 'alice' }, lease, hooks, 100_000, createLogger('silent'));
    const kernel = fakeKernel();
    session.watch(kernel.managed);
    assert.equal(kernel.listeners.size, 1, 'the session listens to its kernel once');
    privateDoc(doc).outputs.set('other', new Y.Array<YOutput>());
    let outcome!: { info: ExecutionInfo; outputs: Output[] };
    const done = session.enqueue(
      [{ cellId: 'a', source: 'x', userId: 'alice', settle: (info, outputs) => (outcome = { info, outputs }) }],
      Promise.resolve(kernel.managed),
    );
    await kernel.executed;
    kernel.send(message('stream', 'run-1', { name: 'stdout', text: 'hi\n' }));
    kernel.send(message('comm_msg', 'run-1', { comm_id: 'w', data: {} }));
    kernel.send(message('stream', 'run-1', { name: 'stdout', text: 'captured\n' }));
    kernel.send(message('display_data', 'run-1', { data: { 'text/plain': 'old' }, metadata: {}, transient: { display_id: 'd' } }));
    kernel.send(message('stream', 'callback', { name: 'stdout', text: 'of no run\n' }));
    kernel.send(message('update_display_data', 'callback', { data: { 'text/plain': 'new' }, metadata: {}, transient: { display_id: 'd' } }));
    kernel.reply(3);
    assert.equal(await done, true);

    assert.deepEqual(seen, [
      { type: 'stream', run: 'a' },
      { type: 'comm_msg', run: 'a' },
      { type: 'stream', run: 'a' },
      { type: 'display_data', run: 'a' },
      { type: 'stream', run: undefined },
      { type: 'update_display_data', run: undefined },
    ]);
    assert.equal(outcome.info.status, 'ok');
    assert.equal(outcome.info.execution_count, 3);
    assert.deepEqual(
      outcome.outputs.map((o) => (o.output_type === 'stream' ? o.text : (o as { data: Record<string, unknown> }).data['text/plain'])),
      ['hi\n', 'new'],
      "the run's stream and its display, updated by a message of no run; the claimed messages and the stray stream are not outputs",
    );
    assert.deepEqual(outputsToJSON(privateDoc(doc).outputs.get('other')), [], 'no other cell got output');
    session.dispose();
  });
});
