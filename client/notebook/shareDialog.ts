// Share a notebook: its members with their roles (owners change or remove them) and a picker to
// add people — suggestions come from the server (people you already share notebooks with; every
// account for admins), and any exact user name works too. Opened from the notebook's Share button
// and from the list.
import { api, errorMessage, type Me, type Member, type Person } from '../api.ts';
import { ROLES, type Role } from '../../shared/roles.ts';
import { attempt, h } from '../dom.ts';
import { avatar } from '../people/avatar.ts';
import { openModal } from '../ui/dialog.ts';

const ROLE_HELP: Record<Role, string> = {
  viewer: 'reads',
  runner: 'reads and runs cells in their own kernel',
  editor: 'also edits the notebook',
  owner: 'also shares it and runs shared cells',
};

function roleSelect(current: Role): HTMLSelectElement {
  const select = h('select', { 'aria-label': 'Role' }, ...ROLES.map((role) => h('option', { value: role, title: ROLE_HELP[role] }, role)));
  select.value = current;
  return select;
}

export interface ShareTarget {
  id: string;
  name: string;
}

export function openShareDialog(notebook: ShareTarget, me: Me, onChange: () => void = () => undefined): void {
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  const list = h('tbody');
  let members: Member[] = [];

  const fail = (context: string) => (reason: unknown) => {
    error.textContent = `${context}: ${errorMessage(reason)}`;
  };

  function memberRow(member: Member): HTMLTableRowElement {
    const select = roleSelect(member.role);
    const isSelf = member.userId === me.id;
    select.disabled = isSelf;
    select.addEventListener('change', () => {
      error.textContent = '';
      api.setMember(notebook.id, member.userId, select.value as Role).then(() => {
        onChange();
        return load();
      }, fail(`Could not change ${member.name}'s role`));
    });
    const remove = h('button', { class: 'danger', type: 'button', disabled: isSelf }, 'Remove');
    remove.addEventListener('click', () => {
      error.textContent = '';
      api.removeMember(notebook.id, member.userId).then(() => {
        onChange();
        return load();
      }, fail(`Could not remove ${member.name}`));
    });
    return h(
      'tr',
      { 'data-user': member.name, 'data-user-id': member.userId },
      h('td', {}, h('span', { class: 'member-person' }, avatar({ id: member.userId, name: member.name }), h('span', {}, isSelf ? `${member.name} (you)` : member.name))),
      h('td', {}, select),
      h('td', {}, remove),
    );
  }

  async function load(): Promise<void> {
    const details = await api.notebook(notebook.id);
    members = details.members;
    list.replaceChildren(...members.map(memberRow));
    attempt(suggest, 'Could not suggest people');
  }

  // ---- the picker --------------------------------------------------------------------------------
  const who = h('input', { name: 'member', placeholder: 'Name of a person', required: true, autocomplete: 'off', 'aria-label': 'Person to add' });
  const suggestions = h('ul', { class: 'people-suggestions', 'aria-label': 'Suggestions' });
  const newRole = roleSelect('runner');
  const addForm = h('form', { class: 'add-member' }, who, newRole, h('button', { type: 'submit', class: 'primary' }, 'Add'));
  let asked = 0;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  async function suggest(): Promise<void> {
    const mine = ++asked;
    let people: Person[];
    try {
      people = await api.suggestPeople(who.value.trim());
    } catch {
      people = []; // suggestions are a convenience; typing a name still works
    }
    if (mine !== asked) return;
    const present = new Set(members.map((m) => m.userId));
    suggestions.replaceChildren(
      ...people
        .filter((person) => !present.has(person.id))
        .slice(0, 8)
        .map((person) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'person-suggestion',
                'data-user': person.name,
                onclick: () => {
                  who.value = person.name;
                  who.focus();
                },
              },
              avatar(person),
              person.name,
            ),
          ),
        ),
    );
  }
  who.addEventListener('input', () => {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => attempt(suggest, 'Could not suggest people'), 150);
  });
  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    api.setMember(notebook.id, who.value.trim(), newRole.value as Role).then(() => {
      who.value = '';
      onChange();
      return load();
    }, fail('Could not add the person'));
  });

  openModal({
    title: `Share “${notebook.name}”`,
    className: 'members-dialog share-dialog',
    content: [
      h('table', { class: 'members' }, list),
      h('h3', {}, 'Add someone'),
      addForm,
      suggestions,
      h('p', { class: 'hint' }, 'Runners run cells in their own kernel; editors also edit; owners also share.'),
      error,
    ],
    onClose: () => {
      if (debounce) clearTimeout(debounce);
    },
  });
  load().catch(fail('Could not load the members'));
}
