// Names people can tell apart: when two people in one list share a display name (two students
// called "Ada" in a class), each gets a short tag from their user id — the same tag wherever the
// person appears, so "Ada · 3f2a" in the roster is "Ada · 3f2a" on the published board.
export interface Named {
  id: string;
  name: string;
}

export function idTag(userId: string): string {
  return userId.replace(/[^A-Za-z0-9]/g, '').slice(0, 4).toLowerCase();
}

/** userId → the name to show: the name, or "name · tag" when another person has the same name. */
export function distinctNames(people: Iterable<Named>): Map<string, string> {
  const byName = new Map<string, Set<string>>();
  const all = [...people];
  for (const person of all) {
    const key = person.name.trim().toLowerCase();
    const ids = byName.get(key) ?? new Set<string>();
    ids.add(person.id);
    byName.set(key, ids);
  }
  const shown = new Map<string, string>();
  for (const person of all) {
    const clash = (byName.get(person.name.trim().toLowerCase())?.size ?? 0) > 1;
    shown.set(person.id, clash ? `${person.name} · ${idTag(person.id)}` : person.name);
  }
  return shown;
}
