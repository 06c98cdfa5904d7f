// Owners manage who may do what: add a user by name or id with a role, change roles, remove.
import { api, errorMessage, type Me, type Member, type NotebookSummary } from '../api.ts';
import { ROLES, type Role } from '../../shared/roles.ts';
import { h } from '../dom.ts';

function roleSelect(current: Role): HTMLSelectElement {
  const select = h('select', { 'aria-label': 'Role' }, ...ROLES.map((role) => h('option', { value: role }, role)));
  select.value = current;
  return select;
}

export function openMembersDialog(summary: NotebookSummary, me: Me, onChange: () => void): void {
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  const list = h('tbody');
  const dialog = h('dialog', { class: 'members-dialog' });

  const fail = (context: string) => (reason: unknown) => {
    error.textContent = `${context}: ${errorMessage(reason)}`;
  };

  function memberRow(member: Member): HTMLTableRowElement {
    const select = roleSelect(member.role);
    const isSelf = member.userId === me.id;
    select.disabled = isSelf;
    select.addEventListener('change', () => {
      error.textContent = '';
      api.setMember(summary.id, member.userId, select.value as Role).then(() => {
        onChange();
        return load();
      }, fail(`Could not change ${member.name}'s role`));
    });
    const remove = h('button', { class: 'danger', disabled: isSelf }, 'Remove');
    remove.addEventListener('click', () => {
      error.textContent = '';
      api.removeMember(summary.id, member.userId).then(() => {
        onChange();
        return load();
      }, fail(`Could not remove ${member.name}`));
    });
    return h('tr', { 'data-user': member.name }, h('td', {}, member.name), h('td', {}, select), h('td', {}, remove));
  }

  async function load(): Promise<void> {
    const details = await api.notebook(summary.id);
    list.replaceChildren(...details.members.map(memberRow));
  }

  const who = h('input', { name: 'member', placeholder: 'User name or id', required: true });
  const newRole = roleSelect('runner');
  const addForm = h('form', { class: 'add-member' }, who, newRole, h('button', { type: 'submit', class: 'primary' }, 'Add'));
  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    api.setMember(summary.id, who.value.trim(), newRole.value as Role).then(() => {
      who.value = '';
      onChange();
      return load();
    }, fail('Could not add the member'));
  });

  dialog.append(
    h('h2', {}, `Members of “${summary.name}”`),
    h('table', { class: 'members' }, list),
    addForm,
    error,
    h('div', { class: 'dialog-actions' }, h('button', { onclick: () => dialog.close() }, 'Close')),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  load().catch(fail('Could not load the members'));
}
