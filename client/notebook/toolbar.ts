// The notebook's header controls: a compact icon toolbar (run, run all, interrupt, restart, add
// cells), my kernel's status (a button: it opens this notebook's kernels), the state of both
// document connections, and the overflow menu for everything used less often.
import type * as Y from 'yjs';
import type { KernelStatus } from '../../shared/schema.ts';
import { privateDoc } from '../../shared/layout.ts';
import { can } from '../../shared/roles.ts';
import { api } from '../api.ts';
import { attempt, h } from '../dom.ts';
import type { DocConnection } from '../sync/connection.ts';
import { openRunningPanel } from '../kernels/runningPanel.ts';
import { dropdown, menuItem, menuSeparator } from '../ui/menu.ts';
import { openModal } from '../ui/dialog.ts';
import { icon, type IconName } from '../ui/icons.ts';
import type { CellList } from './cellList.ts';
import { canEdit, type NotebookSession } from './session.ts';

const KERNEL_LABEL: Record<KernelStatus, string> = {
  none: 'no kernel',
  starting: 'starting…',
  idle: 'idle',
  busy: 'busy',
  restarting: 'restarting…',
  unreachable: 'kernel engine unreachable, retrying',
  dead: 'dead',
  culled: 'stopped (idle)',
};

export function kernelIndicator(privateYDoc: Y.Doc, onOpen?: () => void): { element: HTMLElement; dispose(): void } {
  const kernel = privateDoc(privateYDoc).kernel;
  const words = h('span', { class: 'kernel-words' });
  const label = h('span', { class: 'wide-only' }, 'Kernel: ');
  const element = onOpen
    ? h('button', { type: 'button', class: 'kernel-status', onclick: onOpen }, label, words)
    : h('span', { class: 'kernel-status', role: 'status' }, label, words);
  const render = () => {
    const status = (kernel.get('status') as KernelStatus | undefined) ?? 'none';
    const message = kernel.get('message');
    element.dataset['status'] = status;
    words.textContent = KERNEL_LABEL[status] ?? status;
    element.title = `${typeof message === 'string' && message ? message : 'Your kernel'}${onOpen ? ' — click for this notebook’s kernels' : ''}`;
  };
  kernel.observe(render);
  render();
  return { element, dispose: () => kernel.unobserve(render) };
}

export function connectionIndicator(shared: DocConnection, mine: DocConnection, onRefused: (why: string) => void): { element: HTMLElement; dispose(): void } {
  const words = h('span', { class: 'connection-words' });
  const element = h('span', { class: 'connection', role: 'status' }, h('span', { class: 'connection-dot', 'aria-hidden': 'true' }), words);
  const render = () => {
    const refused = shared.state === 'refused' ? shared : mine.state === 'refused' ? mine : undefined;
    let state: string;
    if (refused) state = 'refused';
    else if (shared.state === 'synced' && (mine.state === 'synced' || mine.state === 'connected')) state = 'online';
    else if (shared.state === 'offline' || mine.state === 'offline') state = 'offline';
    else state = 'connecting';
    element.dataset['state'] = state;
    words.textContent = state === 'online' ? 'Online' : state === 'offline' ? 'Offline — reconnecting; your edits are kept' : state === 'refused' ? 'Disconnected' : 'Connecting…';
    element.title = words.textContent;
    if (refused?.refusal) onRefused(refused.refusal);
  };
  const offShared = shared.onChange(render);
  const offMine = mine.onChange(render);
  render();
  return {
    element,
    dispose() {
      offShared();
      offMine();
    },
  };
}

function iconButton(name: IconName, label: string, title: string, className: string, onclick: () => void): HTMLButtonElement {
  return h('button', { type: 'button', class: `tool ${className}`, title, 'aria-label': label, onclick }, icon(name), h('span', { class: 'tool-label' }, label));
}

export function notebookToolbar(session: NotebookSession, list: CellList): HTMLElement {
  const id = session.notebookId;
  const runnable = can.runUserCells(session.role);
  const editable = canEdit(session);
  return h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Notebook' },
    runnable && iconButton('run', 'Run', 'Run the selected cell and select the next (Shift-Enter)', 'run-selected', () => list.runSelected(true)),
    runnable && iconButton('runAll', 'Run all', 'Run every cell you may run', 'run-all', () => list.runAll()),
    runnable && iconButton('stop', 'Interrupt', 'Interrupt your kernel (I, I)', 'interrupt', () => attempt(() => api.interrupt(id), 'Interrupt failed')),
    runnable && iconButton('restart', 'Restart', 'Restart your kernel: its variables and widgets are lost (0, 0)', 'restart', () => attempt(() => api.restart(id), 'Restart failed')),
    editable && iconButton('addCode', 'Code', 'Insert a code cell below (B)', 'add-code', () => list.insert('below', 'code')),
    editable && iconButton('addText', 'Text', 'Insert a markdown cell below', 'add-markdown', () => list.insert('below', 'markdown')),
  );
}

/** The "⋯" menu: the shared kernel (owners), this notebook's kernels, keyboard shortcuts. */
export function overflowMenu(session: NotebookSession): HTMLElement {
  const id = session.notebookId;
  const owner = can.runSharedCells(session.role);
  return dropdown({
    label: icon('more'),
    title: 'More actions',
    className: 'overflow-menu',
    build: (close) => [
      !session.me.guest && menuItem('Kernels of this notebook…', () => openRunningPanel({ me: session.me, notebookId: id }), close, { class: 'open-kernels' }),
      owner && menuSeparator(),
      owner && menuItem('Interrupt the shared kernel', () => attempt(() => api.interrupt(id, true), 'Interrupt failed'), close, { class: 'interrupt-shared' }),
      owner && menuItem('Restart the shared kernel', () => attempt(() => api.restart(id, true), 'Restart failed'), close, { class: 'restart-shared' }),
      menuSeparator(),
      menuItem('Keyboard shortcuts…', showShortcuts, close, { class: 'show-shortcuts' }),
    ],
  });
}

const SHORTCUTS: Array<[string, string]> = [
  ['Shift-Enter', 'run the cell, select the next'],
  ['Ctrl-Enter', 'run the cell, stay on it'],
  ['Alt-Enter', 'run the cell, insert a cell below'],
  ['Enter / Esc', 'edit the cell / leave the editor (command mode)'],
  ['↑ ↓ (K J)', 'select the cell above / below'],
  ['A / B', 'insert a cell above / below'],
  ['D, D', 'delete the cell'],
  ['Z', 'undo the last cell deletion'],
  ['C / X / V', 'copy / cut / paste the cell (Shift-V: paste above)'],
  ['M / Y / R', 'make it markdown / code / raw'],
  ['I, I', 'interrupt your kernel'],
  ['0, 0', 'restart your kernel'],
];

function showShortcuts(): void {
  openModal({
    title: 'Keyboard shortcuts',
    className: 'shortcuts-dialog',
    content: [
      h('p', { class: 'hint' }, 'In command mode (a cell is selected, no editor has the cursor):'),
      h('table', { class: 'shortcuts' }, h('tbody', {}, ...SHORTCUTS.map(([keys, what]) => h('tr', {}, h('th', {}, keys), h('td', {}, what))))),
    ],
  });
}
