// Room names: `<notebookId>` for the shared document, `<notebookId>/user/<userId>` for a user's
// private document, `<notebookId>/hidden` for unrevealed cells, `<notebookId>/handins` for what
// students handed in to the teacher only. Ids are restricted to a URL-safe alphabet so a room name is unambiguous.
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export type RoomName =
  | { kind: 'shared'; notebookId: string }
  | { kind: 'private'; notebookId: string; userId: string }
  | { kind: 'hidden'; notebookId: string }
  | { kind: 'handins'; notebookId: string };

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

export function sharedRoom(notebookId: string): string {
  return notebookId;
}

/**
 * Cells the teacher has not revealed yet (progressive reveal): same schema as the shared document,
 * readable by editors and owners only, so runners never receive them.
 */
export function hiddenRoom(notebookId: string): string {
  return `${notebookId}/hidden`;
}

/**
 * Hand-ins (source and output of exercise and scratch cells) that only the teacher sees: readable
 * by editors and owners, written by the server alone (shared/handins.ts).
 */
export function handinsRoom(notebookId: string): string {
  return `${notebookId}/handins`;
}

export function privateRoom(notebookId: string, userId: string): string {
  return `${notebookId}/user/${userId}`;
}

/** Parses a room name; undefined when it is not one of the two forms. */
export function parseRoom(name: string): RoomName | undefined {
  const parts = name.split('/');
  if (parts.length === 1 && isId(parts[0])) return { kind: 'shared', notebookId: parts[0] };
  if (parts.length === 2 && parts[1] === 'hidden' && isId(parts[0])) return { kind: 'hidden', notebookId: parts[0] };
  if (parts.length === 2 && parts[1] === 'handins' && isId(parts[0])) return { kind: 'handins', notebookId: parts[0] };
  if (parts.length === 3 && parts[1] === 'user' && isId(parts[0]) && isId(parts[2])) {
    return { kind: 'private', notebookId: parts[0], userId: parts[2] };
  }
  return undefined;
}
