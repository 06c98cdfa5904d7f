// A person's avatar: up to two initials on a colour derived from their user id. Two people whose
// names start alike ("Alice", "Anna") still differ: the initials take a second letter, and the
// colour comes from the id, not the name (shared/userColor.ts, the same colour as the person's
// cursor), set as a CSS property value — never a string another client sent.
import { colorOfUser } from '../../shared/userColor.ts';
import { h } from '../dom.ts';

/** "Ada Lovelace" → "AL", "alice" → "Al", "李小龍" → "李小"; at most two characters. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/[\s._-]+/u).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]!];
  if (words.length === 1) return (first[0]!.toUpperCase() + (first[1] ?? '')).trim();
  return (first[0]! + [...words[words.length - 1]!][0]!).toUpperCase();
}

export interface AvatarPerson {
  id: string;
  name: string;
}

/** A round avatar; `label` is the name to announce (defaults to the name). */
export function avatar(person: AvatarPerson, label = person.name): HTMLElement {
  const element = h('span', { class: 'avatar', title: label, role: 'img', 'aria-label': label }, initialsOf(person.name));
  element.style.setProperty('--avatar', colorOfUser(person.id));
  return element;
}
