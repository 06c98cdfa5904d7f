// The notebook's toolbar: run / run all / interrupt / restart / add cells, my kernel's status,
// and the state of both document connections.
import type * as Y from 'yjs';
import type { KernelStatus } from '../../shared/schema.ts';
import { privateDoc } from '../../shared/schema.ts';
import { can } from '../../shared/roles.ts';
import { api } from '../api.ts';
import { attempt, h } from '../dom.ts';
import type { DocConnection } from '../sync/connection.ts';
import type { CellList } from './cellList.ts';
import { canEdit, type NotebookSession } from './session.ts';

const KERNEL_LABEL: Record<KernelStatus, string> = {
  none: 'no kernel',
  starting: 'starting…',
  idle: 'idle',
  busy: 'busy',
  restarting: 'restarting…',
  dead: 'dead',
  culled: 'stopped (idle)',
};

export function kernelIndicator(privateYDoc: Y.Doc): { element: HTMLElement; dispose(): void } {
  const kernel = privateDoc(privateYDoc).kernel;
  const element = h('span', { class: 'kernel-status', title: 'Your kernel' });
  const render = () => {
    const status = (kernel.get('status') as KernelStatus | undefined) ?? 'none';
    const message = kernel.get('message');
    element.dataset['status'] = status;
    element.textContent = `Kernel: ${KERNEL_LABEL[status] ?? status}`;
    element.title = typeof message === 'string' && message ? message : 'Your kernel';
  };
  kernel.observe(render);
  render();
  return { element, dispose: () => kernel.unobserve(render) };
}

export function connectionIndicator(shared: DocConnection, mine: DocConnection, onRefused: (why: string) => void): { element: HTMLElement; dispose(): void } {
  const element = h('span', { class: 'connection' });
  const render = () => {
    const refused = shared.state === 'refused' ? shared : mine.state === 'refused' ? mine : undefined;
    let state: string;
    if (refused) state = 'refused';
    else if (shared.state === 'synced' && (mine.state === 'synced' || mine.state === 'connected')) state = 'online';
    else if (shared.state === 'offline' || mine.state === 'offline') state = 'offline';
    else state = 'connecting';
    element.dataset['state'] = state;
    element.textContent = state === 'online' ? 'Online' : state === 'offline' ? 'Offline — reconnecting; your edits are kept' : state === 'refused' ? 'Disconnected' : 'Connecting…';
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

export function notebookToolbar(session: NotebookSession, list: CellList): HTMLElement {
  const id = session.notebookId;
  const runnable = can.runUserCells(session.role);
  const owner = can.runSharedCells(session.role);
  const button = (label: string, title: string, onclick: () => void, className = '') =>
    h('button', { class: className, title, onclick }, label);
  const kernelAction = (label: string, title: string, action: (shared: boolean) => Promise<unknown>, className: string) =>
    button(label, title, () => attempt(() => action(false), `${label} failed`), className);

  return h(
    'div',
    { class: 'toolbar' },
    runnable && button('▶ Run', 'Run the selected cell and select the next (Shift-Enter)', () => list.runSelected(true), 'run-selected'),
    runnable && button('▶▶ Run all', 'Run every cell you may run', () => list.runAll(), 'run-all'),
    runnable && kernelAction('■ Interrupt', 'Interrupt your kernel', (shared) => api.interrupt(id, shared), 'interrupt'),
    runnable && kernelAction('↻ Restart', 'Restart your kernel (its variables and widgets are lost)', (shared) => api.restart(id, shared), 'restart'),
    owner && button('Shared kernel ■', 'Interrupt the shared kernel', () => attempt(() => api.interrupt(id, true), 'Interrupt failed'), 'interrupt-shared'),
    owner && button('Shared kernel ↻', 'Restart the shared kernel', () => attempt(() => api.restart(id, true), 'Restart failed'), 'restart-shared'),
    canEdit(session) && button('+ Code', 'Insert a code cell below (b)', () => list.insert('below', 'code'), 'add-code'),
    canEdit(session) && button('+ Text', 'Insert a markdown cell below', () => list.insert('below', 'markdown'), 'add-markdown'),
  );
}
