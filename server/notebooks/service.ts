// Notebooks, their members and roles: the one place that answers "may this user do that here".
import { HttpError } from '../errors.ts';
import { EventEmitter } from 'node:events';
import * as Y from 'yjs';
import type { Notebook } from '../../shared/nbformat.ts';
import type { Role } from '../../shared/roles.ts';
import { sharedRoom } from '../../shared/rooms.ts';
import { emptyNotebook, initSharedDoc } from '../../shared/schema.ts';
import { newId } from '../auth/tokens.ts';
import type { Logger } from '../log.ts';
import type { NotebookRecord, Store, UserRecord } from '../store/types.ts';

export interface NotebookSummary extends NotebookRecord {
  role: Role;
}

interface NotebookEvents {
  /** Members or roles changed: open connections must be re-checked. */
  'access-changed': [notebookId: string];
  deleted: [notebookId: string];
}

const NAME_MAX = 200;

export interface NotebookLimits {
  /** Notebooks one user may have created (and not deleted); 0 = no limit. */
  maxNotebooksPerUser?: number;
}

export class Notebooks extends EventEmitter<NotebookEvents> {
  /** Per user, the create in progress: creates of one user are counted one at a time. */
  private readonly creating = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly limits: NotebookLimits = {},
  ) {
    super();
  }

  /** Creates a notebook owned by `owner`, its shared document filled from `notebook` (or one empty cell). */
  async create(owner: UserRecord, name: unknown, notebook?: Notebook): Promise<NotebookSummary> {
    if (owner.guest) {
      throw new HttpError(403, 'guest_confined', "a live-session guest may only use the session's notebook");
    }
    checkName(name);
    // Serialized per user so that two concurrent creates cannot both pass the count.
    const previous = this.creating.get(owner.id) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(async () => {
      await this.checkNotebookQuota(owner);
      return this.createNow(owner, name, notebook);
    });
    this.creating.set(owner.id, mine);
    try {
      return await mine;
    } finally {
      if (this.creating.get(owner.id) === mine) this.creating.delete(owner.id);
    }
  }

  /** Counts the notebooks the user created (a role of owner given by others does not count). */
  private async checkNotebookQuota(owner: UserRecord): Promise<void> {
    const max = this.limits.maxNotebooksPerUser ?? 0;
    if (max === 0) return;
    const owned = (await this.store.meta.notebooksOf(owner.id)).filter((row) => row.role === 'owner');
    const records = await Promise.all(owned.map((row) => this.store.meta.getNotebook(row.notebookId)));
    const created = records.filter((record) => record?.owner === owner.id).length;
    if (created >= max) {
      throw new HttpError(
        403,
        'notebook_limit',
        `you have created ${created} notebooks, the most this server allows per user (--max-notebooks-per-user ${max}); delete one first`,
      );
    }
  }

  private async createNow(owner: UserRecord, name: unknown, notebook?: Notebook): Promise<NotebookSummary> {
    const now = Date.now();
    const record: NotebookRecord = { id: newId(), name: checkName(name), owner: owner.id, created_at: now, updated_at: now };
    const doc = new Y.Doc();
    initSharedDoc(doc, notebook ?? emptyNotebook());
    // The document is stored before the notebook exists, so a room can never load an empty one.
    await this.store.docs.append(sharedRoom(record.id), Y.encodeStateAsUpdate(doc));
    doc.destroy();
    await this.store.meta.putNotebook(record);
    await this.store.meta.setMember(record.id, owner.id, 'owner');
    this.log.info({ notebook: record.id, user: owner.id }, 'notebook created');
    return { ...record, role: 'owner' };
  }

  async get(id: string): Promise<NotebookRecord | undefined> {
    return this.store.meta.getNotebook(id);
  }

  roleOf(notebookId: string, userId: string): Promise<Role | undefined> {
    return this.store.meta.getRole(notebookId, userId);
  }

  /** The notebook and the caller's role, or 404 — also for non-members, so ids do not leak. */
  async access(notebookId: string, user: UserRecord): Promise<NotebookSummary> {
    const record = await this.store.meta.getNotebook(notebookId);
    const role = record && (await this.roleOf(notebookId, user.id));
    if (!record || !role) throw new HttpError(404, 'notebook_not_found', `no notebook "${notebookId}"`);
    return { ...record, role };
  }

  async listFor(user: UserRecord): Promise<NotebookSummary[]> {
    const rows = await this.store.meta.notebooksOf(user.id);
    const found = await Promise.all(
      rows.map(async ({ notebookId, role }) => {
        const record = await this.store.meta.getNotebook(notebookId);
        return record ? [{ ...record, role }] : [];
      }),
    );
    return found.flat().sort((a, b) => b.updated_at - a.updated_at);
  }

  /** Each notebook with its owner's name, so lists show people, not ids. */
  async withOwnerNames<T extends NotebookRecord>(records: T[]): Promise<Array<T & { owner_name: string }>> {
    const names = new Map<string, Promise<string>>();
    const nameOf = (id: string) => {
      let name = names.get(id);
      if (!name) {
        name = this.store.meta.getUser(id).then((user) => user?.name ?? '(deleted user)');
        names.set(id, name);
      }
      return name;
    };
    return Promise.all(records.map(async (record) => ({ ...record, owner_name: await nameOf(record.owner) })));
  }

  async rename(notebookId: string, name: unknown): Promise<NotebookRecord> {
    const record = await this.store.meta.getNotebook(notebookId);
    if (!record) throw new HttpError(404, 'notebook_not_found', `no notebook "${notebookId}"`);
    const updated = { ...record, name: checkName(name), updated_at: Date.now() };
    await this.store.meta.putNotebook(updated);
    return updated;
  }

  async remove(notebookId: string): Promise<void> {
    this.emit('deleted', notebookId);
    await this.store.meta.deleteNotebook(notebookId);
    await this.store.docs.remove(sharedRoom(notebookId));
    for (const doc of await this.store.docs.list(`${notebookId}/`)) await this.store.docs.remove(doc);
    this.log.info({ notebook: notebookId }, 'notebook deleted');
  }

  async members(notebookId: string): Promise<Array<{ userId: string; name: string; role: Role }>> {
    const rows = await this.store.meta.listMembers(notebookId);
    return Promise.all(
      rows.map(async ({ userId, role }) => ({ userId, role, name: (await this.store.meta.getUser(userId))?.name ?? '?' })),
    );
  }

  async setMember(notebookId: string, userIdOrName: string, role: Role): Promise<{ userId: string; name: string; role: Role }> {
    const record = await this.store.meta.getNotebook(notebookId);
    if (!record) throw new HttpError(404, 'notebook_not_found', `no notebook "${notebookId}"`);
    const user =
      (await this.store.meta.getUser(userIdOrName)) ?? (await this.store.meta.getUserByName(userIdOrName));
    if (!user) throw new HttpError(404, 'user_not_found', `no user "${userIdOrName}"`);
    // A guest exists for one live session's notebook; nobody can bring them anywhere else, nor
    // make them an owner (who manages members and sessions).
    if (user.guest && (user.guest.notebookId !== notebookId || role === 'owner')) {
      throw new HttpError(
        403,
        'guest_confined',
        user.guest.notebookId !== notebookId
          ? "a live-session guest can only be a member of the session's notebook"
          : 'a live-session guest cannot be an owner',
      );
    }
    if (user.id === record.owner && role !== 'owner') {
      throw new HttpError(409, 'owner_role', "the notebook's creator stays its owner");
    }
    await this.store.meta.setMember(notebookId, user.id, role);
    this.emit('access-changed', notebookId);
    return { userId: user.id, name: user.name, role };
  }

  async removeMember(notebookId: string, userId: string): Promise<void> {
    const record = await this.store.meta.getNotebook(notebookId);
    if (!record) throw new HttpError(404, 'notebook_not_found', `no notebook "${notebookId}"`);
    if (userId === record.owner) throw new HttpError(409, 'owner_role', "the notebook's creator cannot be removed");
    if (!(await this.store.meta.getRole(notebookId, userId))) {
      throw new HttpError(404, 'member_not_found', `user "${userId}" is not a member`);
    }
    await this.store.meta.removeMember(notebookId, userId);
    this.emit('access-changed', notebookId);
  }

  async touch(notebookId: string): Promise<void> {
    const record = await this.store.meta.getNotebook(notebookId);
    if (record) await this.store.meta.putNotebook({ ...record, updated_at: Date.now() });
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > NAME_MAX) {
    throw new HttpError(400, 'invalid_name', `a notebook name is a non-empty string of at most ${NAME_MAX} characters`);
  }
  return name.trim();
}
