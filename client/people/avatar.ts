// A person's avatar: up to two initials on a colour derived from their user id. Two people whose
// names start alike ("Alice", "Anna") still differ: the initials take a second letter, and the
// colour comes from the id, not the name. The colour is computed here from our own hue table and
// set as a CSS property value — never a string another client sent.
import { h } from '../dom.ts';

/** Hues spread round the wheel; 24 of them, at two lightnesses, make 48 colours. */
const HUES = Array.from({ length: 24 }, (_, i) => (i * 15 + 7) % 360);

function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** A stable colour for a user id (the same in every browser), readable under white text. */
export function colorFor(userId: string): string {
  const hash = hashOf(userId);
  const hue = HUES[hash % HUES.length] ?? 200;
  const lightness = (hash >>> 8) % 2 === 0 ? 38 : 46;
  return `hsl(${hue} 62% ${lightness}%)`;
}

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
  element.style.setProperty('--avatar', colorFor(person.id));
  return element;
}
