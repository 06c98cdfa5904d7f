// Who else is here: one chip per person in the shared document's awareness (several tabs of one
// person show once).
import type { Awareness } from 'y-protocols/awareness';
import { h } from '../dom.ts';
import { avatar } from '../people/avatar.ts';
import { distinctNames } from '../people/names.ts';

export interface AwarenessUser {
  id: string;
  name: string;
  color: string;
  colorLight: string;
}

export function isAwarenessUser(value: unknown): value is AwarenessUser {
  if (typeof value !== 'object' || value === null) return false;
  const user = value as Record<string, unknown>;
  return typeof user['id'] === 'string' && typeof user['name'] === 'string' && typeof user['color'] === 'string';
}

export function presenceBar(awareness: Awareness, selfId: string): { element: HTMLElement; dispose(): void } {
  const element = h('div', { class: 'presence', 'aria-label': 'People here' });
  const render = () => {
    const people = new Map<string, AwarenessUser>();
    for (const state of awareness.getStates().values()) {
      const user = (state as { user?: unknown }).user;
      if (isAwarenessUser(user)) people.set(user.id, user);
    }
    const sorted = [...people.values()].sort((a, b) => (a.id === selfId ? -1 : b.id === selfId ? 1 : a.name.localeCompare(b.name)));
    const names = distinctNames(sorted);
    element.replaceChildren(
      ...sorted.map((user) => {
        // Initials and colour come from the user’s id and name (people/avatar.ts), not from the
        // colour another client put in its awareness state; names are text, never markup.
        const label = `${names.get(user.id) ?? user.name}${user.id === selfId ? ' (you)' : ''}`;
        const chip = avatar(user, label);
        chip.classList.add('person');
        chip.append(h('span', { class: 'person-name' }, label));
        return chip;
      }),
    );
  };
  awareness.on('change', render);
  render();
  return { element, dispose: () => awareness.off('change', render) };
}
