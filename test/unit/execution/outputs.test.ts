// Jupyter's front-end output rules on a real Y.Doc: stream merging, clear_output(wait), display
// updates, the truncation cap, and batching of many changes into one document update.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import type { Output } from '../../../shared/nbformat.ts';
import type { YOutput } from '../../../shared/schema.ts';
import { isTruncationMarker, outputToYMap, outputsToJSON } from '../../../shared/schema.ts';
import { CellOutputs, OutputBatcher, truncationMarker, updateDisplayIn } from '../../../server/execution/outputs.ts';

function cell(maxBytes = 1_000_000): { doc: Y.Doc; outputs: CellOutputs; json: () => Output[] } {
  const doc = new Y.Doc();
  const array = doc.getArray<YOutput>('outputs');
  const outputs = new CellOutputs(array, { maxBytes });
  return { doc, outputs, json: () => outputsToJSON(array) };
}

const stream = (name: 'stdout' | 'stderr', text: string): Output => ({ output_type: 'stream', name, text });
const plain = (text: string, extra: Partial<Output> = {}): Output =>
  ({ output_type: 'display_data', data: { 'text/plain': text }, metadata: {}, ...extra }) as Output;

describe('CellOutputs', () => {
  it('merges consecutive chunks of one stream into one output', () => {
    const { outputs, json } = cell();
    outputs.appendStream('stdout', 'a');
    outputs.appendStream('stdout', 'b\n');
    outputs.appendStream('stdout', 'c\n');
    assert.deepEqual(json(), [stream('stdout', 'ab\nc\n')]);
  });

  it('stdout/stderr alternation starts a new output at every switch', () => {
    const { outputs, json } = cell();
    outputs.appendStream('stdout', 'out 1\n');
    outputs.appendStream('stderr', 'err 1\n');
    outputs.appendStream('stderr', 'err 2\n');
    outputs.appendStream('stdout', 'out 2\n');
    assert.deepEqual(json(), [stream('stdout', 'out 1\n'), stream('stderr', 'err 1\nerr 2\n'), stream('stdout', 'out 2\n')]);
  });

  it('a rich output between two chunks of the same stream splits it', () => {
    const { outputs, json } = cell();
    outputs.appendStream('stdout', 'before\n');
    outputs.add(plain('picture'));
    outputs.appendStream('stdout', 'after\n');
    assert.deepEqual(json(), [stream('stdout', 'before\n'), plain('picture'), stream('stdout', 'after\n')]);
  });

  it('applies \\r in the stored text, patching only the changed tail of the Y.Text', () => {
    const { doc, outputs, json } = cell();
    outputs.appendStream('stdout', 'header\n');
    const ytext = doc.getArray<YOutput>('outputs').get(0).get('text') as Y.Text;
    const deltas: unknown[] = [];
    ytext.observe((event) => deltas.push(event.delta));
    // As the session does: each change inside one transaction of the document.
    for (const chunk of ['10%', '\r20%', '\r100%\n']) doc.transact(() => outputs.appendStream('stdout', chunk));
    assert.deepEqual(json(), [stream('stdout', 'header\n100%\n')]);
    const headerLength = 'header\n'.length;
    assert.equal(deltas.length, 3);
    // No patch touches the finished header line.
    for (const delta of deltas as Array<Array<{ retain?: number }>>) {
      assert.ok((delta[0]?.retain ?? 0) >= headerLength, `a patch reached into the finished line: ${JSON.stringify(delta)}`);
    }
  });

  it('long output only appends at the end of the Y.Text', () => {
    const { doc, outputs, json } = cell();
    outputs.appendStream('stdout', 'line 0\n');
    const ytext = doc.getArray<YOutput>('outputs').get(0).get('text') as Y.Text;
    const deltas: Array<Array<{ retain?: number; insert?: unknown; delete?: number }>> = [];
    ytext.observe((event) => deltas.push(event.delta));
    let expected = 'line 0\n';
    for (let i = 1; i < 2000; i++) {
      const before = expected.length;
      outputs.appendStream('stdout', `line ${i}\n`);
      expected += `line ${i}\n`;
      const delta = deltas.at(-1)!;
      assert.deepEqual(delta, [{ retain: before }, { insert: `line ${i}\n` }]);
    }
    assert.equal(deltas.length, 1999);
    assert.deepEqual(json(), [stream('stdout', expected)]);
  });

  it('clear(wait=false) empties the outputs at once', () => {
    const { outputs, json } = cell();
    outputs.appendStream('stdout', 'gone\n');
    outputs.add(plain('also gone'));
    outputs.clear(false);
    assert.deepEqual(json(), []);
    outputs.appendStream('stdout', 'new\n');
    assert.deepEqual(json(), [stream('stdout', 'new\n')]);
  });

  it('clear(wait=true) keeps the outputs until the next output arrives, then replaces them', () => {
    const { outputs, json } = cell();
    outputs.appendStream('stdout', 'first\n');
    outputs.clear(true);
    assert.deepEqual(json(), [stream('stdout', 'first\n')], 'nothing is cleared before the next output');
    outputs.appendStream('stdout', 'second\n');
    assert.deepEqual(json(), [stream('stdout', 'second\n')], 'the next chunk starts a fresh output, not a merge');
    outputs.clear(true);
    outputs.add(plain('third'));
    assert.deepEqual(json(), [plain('third')]);
    outputs.appendStream('stdout', 'fourth\n');
    assert.deepEqual(json(), [plain('third'), stream('stdout', 'fourth\n')], 'a deferred clear happens once');
  });

  it('past the cap, adds one truncation marker and drops the rest', () => {
    const { outputs, json } = cell(20);
    outputs.appendStream('stdout', '0123456789');
    outputs.appendStream('stdout', 'abcdefghij');
    outputs.appendStream('stdout', 'overflow');
    outputs.appendStream('stdout', 'more');
    outputs.appendStream('stderr', 'and more');
    outputs.add(plain('even rich'));
    const all = json();
    assert.equal(all.length, 2);
    assert.deepEqual(all[0], stream('stdout', '0123456789abcdefghij'));
    assert.ok(isTruncationMarker(all[1]!), `expected the marker, got ${JSON.stringify(all[1])}`);
    assert.deepEqual(all[1], truncationMarker(20));
    assert.equal(all.filter(isTruncationMarker).length, 1);
  });

  it('the marker says how much was kept', () => {
    assert.match(String((truncationMarker(2 * 1024 * 1024) as { data: Record<string, unknown> }).data['text/plain']), /2 MB/);
    assert.match(String((truncationMarker(20 * 1024) as { data: Record<string, unknown> }).data['text/plain']), /20 kB/);
  });

  it('a rich output that is too big is replaced by the marker too', () => {
    const { outputs, json } = cell(50);
    outputs.add(plain('x'.repeat(100)));
    const all = json();
    assert.equal(all.length, 1);
    assert.ok(isTruncationMarker(all[0]!));
  });

  it('clearing resets the cap: a cell that was truncated can print again', () => {
    const { outputs, json } = cell(10);
    outputs.appendStream('stdout', 'x'.repeat(30));
    assert.ok(isTruncationMarker(json()[0]!));
    outputs.clear(false);
    outputs.appendStream('stdout', 'ok\n');
    assert.deepEqual(json(), [stream('stdout', 'ok\n')]);
  });

  it('updateDisplay replaces data and metadata of every output with that display_id', () => {
    const { outputs, json } = cell();
    const shown = (text: string) => plain(text, { transient: { display_id: 'd1' } });
    outputs.add(shown('v1'));
    outputs.add(plain('other'));
    outputs.add(shown('v1 again'));
    assert.equal(outputs.updateDisplay('d1', { 'text/plain': 'v2' }, { updated: true }), true);
    const all = json() as Array<Output & { data: Record<string, unknown>; metadata: Record<string, unknown> }>;
    assert.deepEqual(all.map((o) => o.data['text/plain']), ['v2', 'other', 'v2']);
    assert.deepEqual(all[0]!.metadata, { updated: true });
    assert.deepEqual(all[1]!.metadata, {});
    assert.equal(outputs.updateDisplay('unknown', { 'text/plain': 'v3' }, {}), false);
  });
});

describe('updateDisplayIn', () => {
  it('works on any outputs array (another cell, another run) and reports whether it found one', () => {
    const doc = new Y.Doc();
    const array = doc.getArray<YOutput>('elsewhere');
    array.push([outputToYMap(plain('old', { transient: { display_id: 'x' } }))]);
    assert.equal(updateDisplayIn(array, 'y', { 'text/plain': 'no' }, {}), false);
    assert.equal(updateDisplayIn(array, 'x', { 'text/html': '<b>new</b>' }, { isolated: true }), true);
    const [only] = outputsToJSON(array) as Array<Output & { data: Record<string, unknown>; metadata: Record<string, unknown> }>;
    assert.deepEqual(only!.data, { 'text/html': '<b>new</b>' });
    assert.deepEqual(only!.metadata, { isolated: true });
  });
});

describe('OutputBatcher', () => {
  it('applies many enqueued changes in one transaction: one Yjs update event, with the origin', async () => {
    const doc = new Y.Doc();
    const origin = Symbol('kernel');
    const outputs = new CellOutputs(doc.getArray<YOutput>('outputs'), { maxBytes: 1_000_000 });
    const batcher = new OutputBatcher(doc, origin);
    const updates: unknown[] = [];
    doc.on('update', (_update: Uint8Array, updateOrigin: unknown) => updates.push(updateOrigin));
    for (let i = 0; i < 100; i++) batcher.enqueue(() => outputs.appendStream('stdout', `${i}\n`));
    batcher.enqueue(() => outputs.add(plain('done')));
    assert.equal(updates.length, 0, 'nothing is applied synchronously');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(updates, [origin]);
    const all = outputsToJSON(doc.getArray<YOutput>('outputs'));
    assert.equal(all.length, 2);
    assert.equal((all[0] as { text: string }).text, Array.from({ length: 100 }, (_, i) => `${i}\n`).join(''));
  });

  it('flush() applies pending changes at once, and the scheduled turn then has nothing left', async () => {
    const doc = new Y.Doc();
    const batcher = new OutputBatcher(doc, 'origin');
    const array = doc.getArray<string>('log');
    let events = 0;
    doc.on('update', () => events++);
    batcher.enqueue(() => array.push(['a']));
    batcher.enqueue(() => array.push(['b']));
    batcher.flush();
    assert.deepEqual(array.toArray(), ['a', 'b']);
    assert.equal(events, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(events, 1, 'no empty second update');
    batcher.enqueue(() => array.push(['c']));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(array.toArray(), ['a', 'b', 'c']);
    assert.equal(events, 2, 'a change after a flush is scheduled again');
  });
});
