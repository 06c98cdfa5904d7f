// Entry: checks the session, then routes between the notebook list (`#/`), a notebook (`#/nb/<id>`),
// the admin page (`#/admin`) and the join page of a live session (`#/join/<code>`), which also
// works without signing in.
import './style.css';
import { api, ApiError, errorMessage, type Me } from './api.ts';
import { h, notify, clearNotice, attempt } from './dom.ts';
import { renderLogin } from './login.ts';
import { renderNotebookList } from './list/listView.ts';
import { openNotebook, type NotebookHandle } from './notebook/notebookView.ts';
import { renderJoinPage } from './classroom/joinPage.ts';
import { renderAdminPage } from './admin/adminPage.ts';
import { applyTheme, themeToggle } from './theme.ts';
import { openRunningPanel } from './kernels/runningPanel.ts';

interface View {
  dispose(): void;
}

type Route = { kind: 'list' } | { kind: 'notebook'; id: string } | { kind: 'join'; code: string } | { kind: 'admin' };

function parseRoute(hash: string): Route {
  if (hash === '#/admin') return { kind: 'admin' };
  const join = /^#\/join(?:\/([^/?#]*))?$/.exec(hash);
  if (join) return { kind: 'join', code: safeDecode(join[1] ?? '') };
  const match = /^#\/nb\/([A-Za-z0-9_-]+)/.exec(hash);
  return match?.[1] ? { kind: 'notebook', id: match[1] } : { kind: 'list' };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a hand-typed `%` in a code: keep it as typed, the server will say it is invalid
  }
}

/** Without a session: the join page for `#/join/…`, else the sign-in form. */
function signedOut(app: HTMLElement): void {
  let current: View | undefined;
  const route = () => {
    current?.dispose();
    current = undefined;
    clearNotice();
    const target = parseRoute(location.hash);
    if (target.kind === 'join') current = renderJoinPage(app, { code: target.code, me: undefined });
    else renderLogin(app);
  };
  window.addEventListener('hashchange', route);
  route();
}

async function boot(): Promise<void> {
  const app = document.getElementById('app');
  const whoami = document.getElementById('whoami');
  const crumb = document.getElementById('crumb');
  if (!app || !whoami || !crumb) throw new Error('index.html is missing #app, #whoami or #crumb');
  whoami.replaceChildren(themeToggle());

  let me: Me;
  try {
    me = await api.me();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signedOut(app);
      return;
    }
    notify(`Cannot load your session: ${errorMessage(error)}`);
    return;
  }

  whoami.replaceChildren(
    themeToggle(),
    ...(me.guest ? [] : [h('button', { type: 'button', class: 'link open-kernels', title: 'Your running kernels', onclick: () => openRunningPanel({ me }) }, 'Kernels')]),
    ...(me.admin ? [h('a', { href: '#/admin', class: 'admin-link' }, 'Accounts')] : []),
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
    } else if (target.kind === 'admin') {
      document.title = 'Accounts — Cohort';
      current = renderAdminPage(app, me);
    } else if (target.kind === 'join') {
      document.title = 'Join a session — Cohort';
      current = renderJoinPage(app, { code: target.code, me });
    } else {
      current = openNotebook(app, { me, notebookId: target.id, crumb });
    }
  };
  window.addEventListener('hashchange', route);
  route();
}

applyTheme();
boot().catch((error: unknown) => notify(`Cohort failed to start: ${errorMessage(error)}`));
