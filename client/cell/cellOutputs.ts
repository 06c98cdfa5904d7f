// Which outputs a code cell shows: my private outputs for user-scope cells, the shared document's
// for shared-scope ones, and the notebook's saved (imported) outputs until I run the cell myself.
// Outputs others published for this cell are listed below, marked with their author. Long
// outputs scroll in a box; outputs of code that has changed since it ran are marked stale.
import type * as Y from 'yjs';
import type { PublishedOutput, YCell, YOutput } from '../../shared/schema.ts';
import { cellId, cellOutputs, cellScope } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import { h } from '../dom.ts';
import { outputArea, type OutputView } from '../outputs/outputArea.ts';
import { renderOutput } from '../outputs/renderOutput.ts';
import type { NotebookSession } from '../notebook/session.ts';
import { handInSource } from '../exercises/handinBoard.ts';
import { mySource } from '../exercises/mySource.ts';
import { longOutputBox } from '../outputs/longOutput.ts';
import { watchStale } from './staleOutputs.ts';

export function cellOutputsView(cell: YCell, session: NotebookSession): { element: HTMLElement; hasOwnOutputs(): boolean; dispose(): void } {
  const id = cellId(cell);
  const label = h('div', { class: 'output-label' });
  const live = h('div', { class: 'live-outputs' });
  const box = longOutputBox(live);
  const staleNote = h('div', { class: 'stale-note', hidden: true }, 'Output of an earlier version of this code — run the cell to update it.');
  const published = h('div', { class: 'published' });
  const element = h('div', { class: 'cell-outputs' }, label, staleNote, box.element, published);
  const privateOutputs = privateDoc(session.private.doc).outputs;
  const publishedMap = sharedDoc(session.shared.doc).published;
  let view: OutputView | undefined;
  let shown: Y.Array<YOutput> | undefined;

  const renderLive = () => {
    const scope = cellScope(cell);
    const mine = privateOutputs.get(id);
    const sharedOutputs = cellOutputs(cell);
    let source: Y.Array<YOutput> | undefined;
    let text = '';
    let kind = '';
    if (scope === 'shared') {
      source = sharedOutputs;
      text = 'Shared output — everyone sees this';
      kind = 'shared';
    } else if (mine) {
      source = mine;
      kind = 'mine';
    } else if (sharedOutputs && sharedOutputs.length > 0) {
      source = sharedOutputs;
      text = 'Saved output (from the notebook file) — run the cell to see your own';
      kind = 'saved';
    }
    label.textContent = source && source.length > 0 ? text : '';
    label.hidden = !label.textContent;
    element.dataset['source'] = kind;
    renderStale();
    if (source === shown) return;
    view?.dispose();
    shown = source;
    view = source ? outputArea(source, session.widgetRenderer(kind === 'mine' ? 'user' : 'shared')) : undefined;
    live.replaceChildren(...(view ? [view.element] : []));
  };

  // A student's runs of an exercise use their copy: that is what the outputs are compared with.
  const source = mySource(cell, session, () => renderStale());
  const stale = watchStale(
    cell,
    () => (element.dataset['source'] === 'mine' ? privateDoc(session.private.doc).executions : element.dataset['source'] === 'shared' ? sharedDoc(session.shared.doc).executions : undefined),
    () => renderStale(),
    () => source.text(),
  );
  function renderStale(): void {
    const isStale = Boolean(shown && shown.length > 0 && stale?.isStale());
    element.dataset['stale'] = String(isStale);
    staleNote.hidden = !isStale;
  }

  const renderPublished = () => {
    const entries = publishedMap.get(id);
    if (!entries || entries.size === 0) {
      published.replaceChildren();
      return;
    }
    const blocks: HTMLElement[] = [];
    entries.forEach((entry: PublishedOutput) => {
      blocks.push(
        h(
          'details',
          { class: 'published-entry', 'data-user': entry.userId, open: entry.userId === session.me.id },
          h('summary', {}, `Published by ${entry.userId === session.me.id ? 'you' : entry.name} · ${new Date(entry.published_at).toLocaleTimeString()}`),
          ...handInSource(entry),
          ...entry.outputs.map((output) => renderOutput(output)),
        ),
      );
    });
    published.replaceChildren(...blocks);
  };

  // The label text depends on the array's length, so it is refreshed on its changes too.
  const onPrivate = (event: Y.YMapEvent<Y.Array<YOutput>>) => {
    if (event.keysChanged.has(id)) renderLive();
  };
  const onCell = () => renderLive();
  const onMetadata = () => renderLive();
  const onShownChange = () => {
    label.hidden = !(shown && shown.length > 0 && label.textContent);
    renderStale();
  };
  const onPublished = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
    if (events.some((event) => event.target === publishedMap ? (event as Y.YMapEvent<unknown>).keysChanged.has(id) : event.target === publishedMap.get(id))) {
      renderPublished();
    }
  };
  privateOutputs.observe(onPrivate);
  cell.observe(onCell);
  const metadata = cell.get('metadata') as Y.Map<unknown>;
  metadata.observe(onMetadata);
  // Kept: a deleted cell's Y.Map no longer answers get(), but its observers must still go.
  const savedOutputs = cellOutputs(cell);
  savedOutputs?.observe(onShownChange);
  publishedMap.observeDeep(onPublished);
  renderLive();
  renderPublished();

  return {
    element,
    hasOwnOutputs: () => (privateOutputs.get(id)?.length ?? 0) > 0,
    dispose() {
      view?.dispose();
      box.dispose();
      stale.dispose();
      source.dispose();
      privateOutputs.unobserve(onPrivate);
      cell.unobserve(onCell);
      metadata.unobserve(onMetadata);
      savedOutputs?.unobserve(onShownChange);
      publishedMap.unobserveDeep(onPublished);
    },
  };
}
