// Entry: checks the session, then routes between the notebook list (`#/`) and a notebook (`#/nb/<id>`).
import './style.css';
import { api, ApiError, errorMessage, type Me } from './api.ts';
import { h, notify, clearNotice, attempt } from './dom.ts';
import { renderLogin } from './login.ts';
import { renderNotebookList } from './list/listView.ts';
import { openNotebook, type NotebookHandle } from './notebook/notebookView.ts';

interface View {
  dispose(): void;
}

function parseRoute(hash: string): { kind: 'list' } | { kind: 'notebook'; id: string } {
  const match = /^#\/nb\/([A-Za-z0-9_-]+)/.exec(hash);
  return match?.[1] ? { kind: 'notebook', id: match[1] } : { kind: 'list' };
}

async function boot(): Promise<void> {
  const app = document.getElementById('app');
  const whoami = document.getElementById('whoami');
  const crumb = document.getElementById('crumb');
  if (!app || !whoami || !crumb) throw new Error('index.html is missing #app, #whoami or #crumb');

  let me: Me;
  try {
    me = await api.me();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      renderLogin(app);
      return;
    }
    notify(`Cannot load your session: ${errorMessage(error)}`);
    return;
  }

  whoami.replaceChildren(
    h('span', { class: 'user-name' }, me.name),
    h(
      'button',
      {
        class: 'link',
        onclick: () =>
          attempt(async () => {
            await api.logout();
            location.hash = '#/';
            location.reload();
          }, 'Logout failed'),
      },
      'Log out',
    ),
  );

  let current: View | NotebookHandle | undefined;
  const route = () => {
    current?.dispose();
    current = undefined;
    clearNotice();
    crumb.replaceChildren();
    app.replaceChildren();
    const target = parseRoute(location.hash);
    if (target.kind === 'list') {
      document.title = 'Cohort';
      current = renderNotebookList(app, { me });
    } else {
      current = openNotebook(app, { me, notebookId: target.id, crumb });
    }
  };
  window.addEventListener('hashchange', route);
  route();
}

boot().catch((error: unknown) => notify(`Cohort failed to start: ${errorMessage(error)}`));
