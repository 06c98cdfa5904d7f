// The "Running" panel: the kernels I may manage — notebook, whose, state, memory, last activity —
// each with Restart and Shut down. Opened from the top bar (all mine; all for admins), from a
// notebook's menu (that notebook's kernels: every one of them for its owner) and from the kernel
// limit dialog. Refreshes while open.
import { api, errorMessage, type Me } from '../api.ts';
import type { RunningKernel } from '../../shared/kernels.ts';
import { attempt, h } from '../dom.ts';
import { ago, formatBytes } from '../format.ts';
import { openModal, type Modal } from '../ui/dialog.ts';

const REFRESH_MS = 3000;

export interface RunningPanelOptions {
  me: Me;
  /** Only this notebook's kernels. */
  notebookId?: string;
}

const STATE_WORDS: Record<string, string> = { idle: 'idle', busy: 'busy', starting: 'starting…', restarting: 'restarting…', dead: 'dead' };

export function openRunningPanel(options: RunningPanelOptions): Modal {
  const summary = h('p', { class: 'kernels-summary' }, 'Loading…');
  const body = h('tbody');
  const whoHeader = h('th', {}, 'Whose');
  const table = h(
    'table',
    { class: 'kernels-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Notebook'), whoHeader, h('th', {}, 'State'), h('th', {}, 'Memory'), h('th', {}, 'Last activity'), h('th', {}, ''))),
    body,
  );
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const act = async (button: HTMLButtonElement, action: () => Promise<unknown>, failure: string) => {
    button.disabled = true;
    error.textContent = '';
    try {
      await action();
    } catch (reason) {
      error.textContent = `${failure}: ${errorMessage(reason)}`;
    }
    await refresh();
  };

  const row = (kernel: RunningKernel, showWho: boolean) => {
    const whose = kernel.scope === 'shared' ? 'shared kernel' : kernel.userId === options.me.id ? 'you' : (kernel.userName ?? '?');
    const restart = h('button', { class: 'kernel-restart', type: 'button', title: 'Restart: its variables and widgets are lost' }, 'Restart');
    const shutdown = h('button', { class: 'kernel-shutdown danger', type: 'button', title: 'Stop this kernel; it starts again on the next run' }, 'Shut down');
    restart.addEventListener('click', () => attempt(() => act(restart, () => api.restartKernel(kernel.id), 'Restart failed'), 'Restart failed'));
    shutdown.addEventListener('click', () => attempt(() => act(shutdown, () => api.shutdownKernel(kernel.id), 'Shut down failed'), 'Shut down failed'));
    return h(
      'tr',
      { 'data-kernel-id': kernel.id, 'data-notebook-id': kernel.notebookId, 'data-status': kernel.status },
      h('td', { class: 'kernel-notebook' }, h('a', { href: `#/nb/${encodeURIComponent(kernel.notebookId)}` }, kernel.notebookName)),
      showWho ? h('td', { class: 'kernel-whose' }, whose) : null,
      h('td', { class: 'kernel-state' }, h('span', { class: 'kernel-status', 'data-status': kernel.status }, STATE_WORDS[kernel.status] ?? kernel.status)),
      h('td', { class: 'kernel-memory' }, formatBytes(kernel.memoryBytes)),
      h('td', { class: 'kernel-activity', title: new Date(kernel.lastActivity).toLocaleString() }, ago(kernel.lastActivity)),
      h('td', { class: 'row-actions' }, restart, shutdown),
    );
  };

  async function refresh(): Promise<void> {
    if (timer) clearTimeout(timer);
    try {
      const listing = await api.kernels(options.notebookId);
      if (closed) return;
      const mine = listing.kernels.filter((k) => k.scope === 'user' && k.userId === options.me.id).length;
      const showWho = listing.kernels.some((k) => k.scope === 'shared' || k.userId !== options.me.id);
      whoHeader.hidden = !showWho;
      body.replaceChildren(...listing.kernels.map((kernel) => row(kernel, showWho)));
      table.hidden = listing.kernels.length === 0;
      const perUser = `${listing.limits.perUser} kernel${listing.limits.perUser === 1 ? '' : 's'}`;
      const count = listing.kernels.length;
      summary.textContent =
        count === 0
          ? 'No kernels are running.'
          : options.notebookId
            ? `${count} kernel${count === 1 ? '' : 's'} running in this notebook. Each person may run at most ${perUser} across notebooks (Kernels, in the top bar, lists yours).`
            : `You have ${mine} of at most ${perUser}.`;
      summary.dataset['mine'] = String(mine);
    } catch (reason) {
      if (!closed) error.textContent = `Could not list the kernels: ${errorMessage(reason)}`;
    }
    if (!closed) timer = setTimeout(() => attempt(refresh, 'Could not list the kernels'), REFRESH_MS);
  }

  const modal = openModal({
    title: options.notebookId ? 'Kernels of this notebook' : 'Running kernels',
    className: 'running-panel',
    content: [summary, h('div', { class: 'table-scroll' }, table), error],
    onClose: () => {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  });
  attempt(refresh, 'Could not list the kernels');
  return modal;
}
