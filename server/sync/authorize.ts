// Who may read and write which room. Enforced here, at the sync layer — never only in the UI.
import { CloseCode } from '../../shared/closeCodes.ts';
import { can } from '../../shared/roles.ts';
import type { RoomName } from '../../shared/rooms.ts';
import { parseRoom } from '../../shared/rooms.ts';
import type { Notebooks } from '../notebooks/service.ts';
import type { UserRecord } from '../store/types.ts';

export type RoomAccess = { ok: true; room: RoomName; write: boolean } | { ok: false; code: CloseCode; reason: string };

export async function authorizeRoom(notebooks: Notebooks, user: UserRecord, name: string): Promise<RoomAccess> {
  const room = parseRoom(name);
  if (!room) return { ok: false, code: CloseCode.NotFound, reason: `no room "${name}"` };
  // A live-session guest exists for one notebook; any other room is closed to them, member or not.
  if (user.guest && user.guest.notebookId !== room.notebookId) {
    return { ok: false, code: CloseCode.Forbidden, reason: "a live-session guest may only use the session's notebook" };
  }
  if (!(await notebooks.get(room.notebookId))) {
    return { ok: false, code: CloseCode.NotFound, reason: `no notebook "${room.notebookId}"` };
  }
  const role = await notebooks.roleOf(room.notebookId, user.id);
  if (!role) return { ok: false, code: CloseCode.Forbidden, reason: 'not a member of this notebook' };
  if (room.kind === 'private') {
    // A private room is its user's alone: not even the notebook's owner may open it.
    if (room.userId !== user.id) return { ok: false, code: CloseCode.Forbidden, reason: "another user's private room" };
    // What a client writes there (widget values) drives the user's kernel: runners and up, as over REST.
    return { ok: true, room, write: can.runUserCells(role) };
  }
  if (room.kind === 'hidden') {
    if (!can.editShared(role)) return { ok: false, code: CloseCode.Forbidden, reason: 'hidden cells are for editors and owners' };
    return { ok: true, room, write: true };
  }
  if (room.kind === 'handins') {
    // Teacher-only hand-ins: read by editors and owners; only the server writes them (publish).
    if (!can.editShared(role)) return { ok: false, code: CloseCode.Forbidden, reason: 'hand-ins are for editors and owners' };
    return { ok: true, room, write: false };
  }
  return { ok: true, room, write: can.editShared(role) };
}
