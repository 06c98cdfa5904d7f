// The admin page (`#/admin`): create accounts and hand out their sign-in link — the token in it is
// shown this once, the server keeps only its hash — and disable, enable or delete accounts.
import { api, ApiError, errorMessage, type Account, type CreatedAccount, type Me } from '../api.ts';
import { attempt, h, notify } from '../dom.ts';
import { avatar } from '../people/avatar.ts';

export function renderAdminPage(app: HTMLElement, me: Me): { dispose(): void } {
  let disposed = false;
  if (!me.admin) {
    app.replaceChildren(h('div', { class: 'card refused' }, h('h2', {}, 'Admins only'), h('p', {}, 'Only a server admin manages accounts.'), h('a', { href: '#/' }, 'Back to the list')));
    return { dispose: () => undefined };
  }

  const nameInput = h('input', { name: 'name', placeholder: 'User name', required: true, maxlength: 64, autocomplete: 'off', 'aria-label': 'User name' });
  const adminBox = h('input', { type: 'checkbox', name: 'admin' });
  const createForm = h(
    'form',
    { class: 'create-account' },
    nameInput,
    h('label', { class: 'checkbox' }, adminBox, 'admin'),
    h('button', { type: 'submit', class: 'primary' }, 'Create account'),
  );
  const created = h('div', { class: 'created-account', hidden: true, role: 'status' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'accounts' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Role'), h('th', {}, 'Status'), h('th', {}, 'Created'), h('th', {}, ''))),
    body,
  );

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    api.createAccount(name, adminBox.checked).then(
      (account) => {
        nameInput.value = '';
        adminBox.checked = false;
        showCreated(account);
        attempt(refresh, 'Could not list the accounts');
      },
      (error: unknown) => notify(`Could not create the account: ${errorMessage(error)}`),
    );
  });

  function showCreated(account: CreatedAccount): void {
    const link = h('input', { readonly: true, value: account.loginUrl, class: 'login-link', 'aria-label': `Sign-in link for ${account.name}` });
    link.addEventListener('focus', () => link.select());
    const copy = h('button', { type: 'button', class: 'copy-login-link' }, 'Copy link');
    copy.addEventListener('click', () => {
      navigator.clipboard.writeText(account.loginUrl).then(
        () => (copy.textContent = 'Copied'),
        () => {
          link.focus();
          notify('Copy failed: the link is selected, copy it by hand.');
        },
      );
    });
    created.replaceChildren(
      h('p', {}, h('strong', {}, `${account.name} can sign in with this link.`), ' It is shown only now — the server keeps no copy. Send it privately; anyone with it can act as them.'),
      h('div', { class: 'join-url' }, link, copy),
      h('button', { type: 'button', class: 'link', onclick: () => (created.hidden = true) }, 'Done'),
    );
    created.dataset['user'] = account.name;
    created.hidden = false;
    link.focus();
  }

  function row(account: Account): HTMLTableRowElement {
    const isSelf = account.id === me.id;
    const toggle = h('button', { type: 'button', class: account.disabled ? 'enable-account' : 'disable-account', disabled: isSelf }, account.disabled ? 'Enable' : 'Disable');
    toggle.addEventListener('click', () => {
      api.setAccountDisabled(account.id, !account.disabled).then(
        () => refresh(),
        (error: unknown) => notify(`Could not change ${account.name}: ${errorMessage(error)}`),
      );
    });
    const remove = h('button', { type: 'button', class: 'delete-account danger', disabled: isSelf }, 'Delete');
    remove.addEventListener('click', () => attempt(() => deleteAccount(account), `Could not delete ${account.name}`));
    return h(
      'tr',
      { 'data-user': account.name, 'data-disabled': String(account.disabled) },
      h('td', {}, h('span', { class: 'member-person' }, avatar(account), h('span', {}, isSelf ? `${account.name} (you)` : account.name))),
      h('td', {}, account.admin ? 'admin' : 'user'),
      h('td', { class: 'account-status' }, account.disabled ? 'disabled' : 'active'),
      h('td', {}, new Date(account.created_at).toLocaleDateString()),
      h('td', { class: 'row-actions' }, toggle, remove),
    );
  }

  async function deleteAccount(account: Account): Promise<void> {
    if (!confirm(`Delete the account “${account.name}”? They lose access at once; their private work in shared notebooks is deleted.`)) return;
    try {
      await api.deleteAccount(account.id, false);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'owns_notebooks')) {
        notify(`Could not delete ${account.name}: ${errorMessage(error)}`);
        return;
      }
      // They own notebooks: deleting them too is a second, explicit decision.
      if (!confirm(`${error.message}.\n\nDelete the account and those notebooks, for everyone?`)) return;
      try {
        await api.deleteAccount(account.id, true);
      } catch (again) {
        notify(`Could not delete ${account.name}: ${errorMessage(again)}`);
        return;
      }
    }
    notify(`Deleted the account “${account.name}”.`, 'info');
    await refresh();
  }

  async function refresh(): Promise<void> {
    const accounts = await api.accounts();
    if (disposed) return;
    body.replaceChildren(...accounts.map(row));
  }

  app.replaceChildren(
    h(
      'section',
      { class: 'admin-page' },
      h('h1', {}, 'Accounts'),
      h('p', { class: 'hint' }, 'Create an account, then send its sign-in link to the person. Live-session guests are not listed: they exist for one session.'),
      createForm,
      created,
      h('div', { class: 'table-scroll' }, table),
    ),
  );
  refresh().catch((error: unknown) => notify(`Could not load the accounts: ${errorMessage(error)}`));
  nameInput.focus();
  return {
    dispose() {
      disposed = true;
    },
  };
}
