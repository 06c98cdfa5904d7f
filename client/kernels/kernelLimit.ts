// Running cells, with a way out of the kernel limit. When the server answers 429 (this person has
// as many kernels as they may), the dialog names their oldest idle kernel and offers to shut it
// down and run again; it also opens the Running panel. 503 (the whole server is full) offers the
// panel only, since it is not this person's kernels that fill it.
import { api, ApiError, errorMessage, type Me } from '../api.ts';
import type { RunningKernel } from '../../shared/kernels.ts';
import { attempt, h, notify } from '../dom.ts';
import { duration } from '../format.ts';
import { openModal } from '../ui/dialog.ts';
import { openRunningPanel } from './runningPanel.ts';

/** Asks the server to run the cells; a limit error opens the dialog, others are reported. */
export function runCells(me: Me, notebookId: string, cellIds: string[]): void {
  api.execute(notebookId, cellIds).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === 'kernel_limit') {
      attempt(() => offerWayOut(me, error, () => runCells(me, notebookId, cellIds)), 'Could not run');
      return;
    }
    notify(`Could not run: ${errorMessage(error)}`);
  });
}

/** Idle kernels first, the longest idle first; then busy ones, least recently active first. */
function oldestIdle(kernels: RunningKernel[]): RunningKernel | undefined {
  const rank = (k: RunningKernel) => (k.status === 'idle' ? 0 : 1);
  return [...kernels].sort((a, b) => rank(a) - rank(b) || a.lastActivity - b.lastActivity)[0];
}

async function offerWayOut(me: Me, error: ApiError, retry: () => void): Promise<void> {
  if (me.guest) {
    // A guest has one kernel, and no kernels panel: only the server being full stops them.
    notify(`Could not run: ${error.message}`);
    return;
  }
  let mine: RunningKernel[] = [];
  try {
    const listing = await api.kernels();
    mine = listing.kernels.filter((k) => k.scope === 'user' && k.userId === me.id);
  } catch (listError) {
    notify(`Could not run: ${error.message} (and the running kernels could not be listed: ${errorMessage(listError)})`);
    return;
  }
  const full = error.status === 503;
  const candidate = full ? undefined : oldestIdle(mine);
  const problem = h('p', {}, full ? `The server runs as many kernels as it may (${error.message}).` : `You have ${mine.length} kernel${mine.length === 1 ? '' : 's'} running — the most one person may have. Shut one down to run this cell.`);
  const suggestion = candidate
    ? h(
        'p',
        { class: 'limit-candidate', 'data-kernel-id': candidate.id },
        `The oldest ${candidate.status === 'idle' ? 'idle ' : ''}one is in `,
        h('strong', {}, `“${candidate.notebookName}”`),
        candidate.status === 'idle' ? ` (idle for ${duration(Date.now() - candidate.lastActivity)}).` : ` (${candidate.status}).`,
      )
    : null;
  const shutdownAndRun = candidate
    ? h('button', { type: 'button', class: 'primary limit-shutdown-run' }, `Shut down “${candidate.notebookName}” and run`)
    : null;
  const showPanel = h('button', { type: 'button', class: 'limit-show-kernels' }, 'Show my kernels');
  const failure = h('p', { class: 'dialog-error', role: 'alert' });
  const modal = openModal({
    title: 'Kernel limit reached',
    className: 'limit-dialog',
    content: [problem, suggestion, failure],
    actions: [showPanel, ...(shutdownAndRun ? [shutdownAndRun] : [])],
  });
  shutdownAndRun?.addEventListener('click', () => {
    shutdownAndRun.disabled = true;
    api.shutdownKernel(candidate!.id).then(
      () => {
        modal.close();
        notify(`Shut down the kernel of “${candidate!.notebookName}”; running your cell.`, 'info');
        retry();
      },
      (reason: unknown) => {
        shutdownAndRun.disabled = false;
        failure.textContent = `Could not shut it down: ${errorMessage(reason)}`;
      },
    );
  });
  showPanel.addEventListener('click', () => {
    modal.close();
    openRunningPanel({ me });
  });
}
