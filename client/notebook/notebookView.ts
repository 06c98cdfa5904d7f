// An open notebook: connects the shared and my private document, then lays out toolbar, presence,
// cells. Everything is torn down on dispose (route change), including the WebSocket connections.
import { api, errorMessage, type Me } from '../api.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { can } from '../../shared/roles.ts';
import type { Scope } from '../../shared/schema.ts';
import { clearNotice, h, notify } from '../dom.ts';
import { connectDoc, type DocConnection } from '../sync/connection.ts';
import { presenceBar } from '../presence/presenceBar.ts';
import { userColor } from '../presence/userColor.ts';
import type { WidgetScopes } from '../widgets/scopes.ts';
import { createCellList, type CellList } from './cellList.ts';
import { createScratchCells } from '../scratch/scratchCells.ts';
import { connectionIndicator, kernelIndicator, notebookToolbar, overflowMenu } from './toolbar.ts';
import { exportMenu } from '../list/exportMenu.ts';
import { runCells } from '../kernels/kernelLimit.ts';
import { openRunningPanel } from '../kernels/runningPanel.ts';
import { openShareDialog } from './shareDialog.ts';
import { openFilePanel } from '../files/filePanel.ts';
import { icon } from '../ui/icons.ts';
import type { NotebookSession } from './session.ts';
import { mountClassroom } from '../classroom/classroom.ts';
import { sessionEndedCard } from '../classroom/joinPage.ts';

export interface NotebookHandle {
  dispose(): void;
}

export interface OpenOptions {
  me: Me;
  notebookId: string;
  crumb: HTMLElement;
}

export function openNotebook(app: HTMLElement, options: OpenOptions): NotebookHandle {
  const disposers: (() => void)[] = [];
  let disposed = false;
  const page = h('section', { class: 'notebook-page' }, h('p', { class: 'loading' }, 'Opening notebook…'));
  app.replaceChildren(page);

  const start = async () => {
    const details = await api.notebook(options.notebookId);
    if (disposed) return;
    document.title = `${details.name} — Cohort`;
    options.crumb.replaceChildren(
      h('span', { class: 'nb-name' }, details.name),
      h('span', { class: `role role-${details.role}`, title: 'Your role' }, details.role),
    );

    const shared: DocConnection = connectDoc(sharedRoom(details.id));
    const mine: DocConnection = connectDoc(privateRoom(details.id, options.me.id));
    disposers.push(() => shared.destroy(), () => mine.destroy());
    const awareness = shared.provider.awareness;
    const user = { id: options.me.id, name: options.me.name, ...userColor(options.me.id) };
    awareness.setLocalStateField('user', user);

    // eslint-disable-next-line prefer-const -- assigned once, below, after `session` it refers to
    let widgets: WidgetScopes | undefined;
    const session: NotebookSession = {
      me: options.me,
      notebookId: details.id,
      role: details.role,
      shared,
      private: mine,
      awareness,
      widgetRenderer: (scope: Scope) => (modelId, host) => {
        if (!widgets) throw new Error('widget manager used before the notebook opened');
        widgets.render(scope, modelId, host);
      },
      run(cellIds) {
        runCells(options.me, details.id, cellIds);
      },
    };
    // The ipywidgets front end is most of the bundle; the list page does not need it.
    const { createWidgetScopes } = await import('../widgets/scopes.ts');
    if (disposed) return;
    widgets = createWidgetScopes(session);
    disposers.push(() => widgets?.dispose());

    // Render only after the first sync, so an empty document is not mistaken for an empty notebook.
    const waiting = h('p', { class: 'loading' }, 'Connecting…');
    page.replaceChildren(waiting);
    const refused = new Promise<string>((resolve) => {
      const check = () => {
        const why = shared.state === 'refused' ? shared.refusal : undefined;
        if (why) resolve(why);
      };
      disposers.push(shared.onChange(check));
    });
    const outcome = await Promise.race([shared.synced.then(() => undefined), refused]);
    if (disposed) return;
    if (outcome) {
      page.replaceChildren(h('div', { class: 'card refused' }, h('h2', {}, 'Cannot open this notebook'), h('p', {}, outcome), h('a', { href: '#/' }, 'Back to the list')));
      return;
    }

    // My scratch cells live among the shared ones (client/scratch/scratchCells.ts).
    const scratch = createScratchCells(session);
    session.scratch = scratch;
    disposers.push(() => scratch.dispose());
    const list: CellList = createCellList(session, { rememberSelection: true, scratch });
    disposers.push(() => list.dispose());
    // Guests have one kernel here and no kernels panel (the server confines them to this notebook).
    const kernel = kernelIndicator(mine.doc, options.me.guest ? undefined : () => openRunningPanel({ me: options.me, notebookId: details.id }));
    const presence = presenceBar(awareness, options.me.id);
    const connection = connectionIndicator(shared, mine, (why) => {
      list.setReadOnly(true);
      notify(why);
    });
    disposers.push(kernel.dispose, presence.dispose, connection.dispose);
    const classroom = mountClassroom({
      session,
      details,
      list,
      user,
      onSessionEnded: () => {
        clearNotice();
        page.replaceChildren(sessionEndedCard());
      },
    });
    disposers.push(classroom.dispose);
    // The server runs kernels without a sandbox (--kernel-sandbox none): the owner must know that
    // what runners compute is not private from each other, before inviting anyone.
    const isolationBanner =
      options.me.kernelSandbox === 'none' && can.manage(details.role)
        ? h('div', { class: 'isolation-banner', role: 'alert' }, 'Warning: kernels are not isolated from each other on this server (--kernel-sandbox none). Users can read each other\'s variables and files.')
        : null;
    const readOnlyNote = can.editShared(details.role)
      ? null
      : h('span', { class: 'read-only-note' }, can.runUserCells(details.role) ? 'Read-only notebook: you run cells, edit exercises and add cells of your own' : 'Read-only');
    page.replaceChildren(
      h(
        'div',
        { class: 'notebook-header' },
        notebookToolbar(session, list),
        h('span', { class: 'spacer' }),
        ...classroom.header,
        readOnlyNote,
        kernel.element,
        connection.element,
        presence.element,
        can.manage(details.role)
          ? h('button', { type: 'button', class: 'share-notebook', title: 'Share this notebook: who may read, run, edit', onclick: () => openShareDialog(details, options.me) }, 'Share')
          : null,
        h('button', { type: 'button', class: 'open-files', title: 'Files: the notebook’s and your own', onclick: () => openFilePanel(details.id, details.role) }, icon('folder'), h('span', { class: 'tool-label' }, 'Files')),
        exportMenu(details.id, h('span', { class: 'menu-label' }, icon('download'), h('span', { class: 'tool-label' }, 'Export'))),
        overflowMenu(session),
      ),
      ...(isolationBanner ? [isolationBanner] : []),
      ...classroom.beforeCells,
      list.element,
      ...classroom.afterCells,
      ...classroom.overlay,
    );
  };
  start().catch((error: unknown) => {
    if (disposed) return;
    page.replaceChildren(h('div', { class: 'card refused' }, h('h2', {}, 'Cannot open this notebook'), h('p', {}, errorMessage(error)), h('a', { href: '#/' }, 'Back to the list')));
  });

  return {
    dispose() {
      disposed = true;
      for (const dispose of disposers.splice(0).reverse()) {
        try {
          dispose();
        } catch (error) {
          console.error('Closing the notebook view failed', error);
        }
      }
    },
  };
}
