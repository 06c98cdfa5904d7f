// What an admin does to an account besides creating it: disable (and enable) it, or delete it.
// Either takes effect at once, not at the user's next sign-in: their sockets close, their kernels
// stop. A deleted user's memberships and private documents go too; notebooks they own are deleted
// only when the admin says so, otherwise the deletion is refused (an owner-less notebook could
// never be managed again).
import { CloseCode } from '../../shared/closeCodes.ts';
import { HttpError } from '../errors.ts';
import { privateRoom } from '../../shared/rooms.ts';
import type { ExecutionService } from '../execution/service.ts';
import type { KernelManager } from '../kernels/manager.ts';
import type { Logger } from '../log.ts';
import type { Notebooks } from '../notebooks/service.ts';
import type { MetaStore, UserRecord } from '../store/types.ts';
import type { Rooms } from '../sync/rooms.ts';

export interface AccountDeps {
  meta: MetaStore;
  notebooks: Notebooks;
  rooms: Rooms;
  kernels: KernelManager;
  execution: ExecutionService;
  log: Logger;
  /** Closes the user's sockets in every room of a notebook. */
  disconnect(notebookId: string, userId: string, code: number, reason: string): Promise<void>;
}

export class Accounts {
  constructor(private readonly deps: AccountDeps) {}

  private async target(admin: UserRecord, userId: string): Promise<UserRecord> {
    const user = await this.deps.meta.getUser(userId);
    if (!user) throw new HttpError(404, 'user_not_found', `no user "${userId}"`);
    // An admin locking themselves out leaves nobody to undo it.
    if (user.id === admin.id) throw new HttpError(409, 'own_account', 'you cannot disable or delete your own account');
    return user;
  }

  async setDisabled(admin: UserRecord, userId: string, disabled: boolean): Promise<UserRecord> {
    const user = await this.target(admin, userId);
    const updated: UserRecord = { ...user, disabled };
    if (!disabled) delete updated.disabled;
    await this.deps.meta.putUser(updated, { indexName: !user.guest });
    if (disabled) await this.cutOff(user, 'your account was disabled');
    this.deps.log.info({ user: user.id, by: admin.id, disabled }, disabled ? 'user disabled' : 'user enabled');
    return updated;
  }

  /** Notebooks the user created (and so owns for good). */
  async ownedNotebooks(userId: string): Promise<Array<{ id: string; name: string }>> {
    const owned: Array<{ id: string; name: string }> = [];
    for (const { notebookId } of await this.deps.meta.notebooksOf(userId)) {
      const record = await this.deps.meta.getNotebook(notebookId);
      if (record?.owner === userId) owned.push({ id: record.id, name: record.name });
    }
    return owned;
  }

  async remove(admin: UserRecord, userId: string, options: { deleteNotebooks: boolean }): Promise<{ notebooksDeleted: number }> {
    const user = await this.target(admin, userId);
    const owned = await this.ownedNotebooks(user.id);
    if (owned.length > 0 && !options.deleteNotebooks) {
      const names = owned.map((n) => `“${n.name}”`).join(', ');
      throw new HttpError(409, 'owns_notebooks', `${user.name} owns ${owned.length} notebook${owned.length === 1 ? '' : 's'} (${names}): delete them with the account, or disable the account instead`);
    }
    // Disabled first, so no token or cookie works while the rest is taken apart.
    await this.deps.meta.putUser({ ...user, disabled: true }, { indexName: !user.guest });
    await this.cutOff(user, 'your account was deleted');
    for (const notebook of owned) await this.deps.notebooks.remove(notebook.id);
    for (const { notebookId } of await this.deps.meta.notebooksOf(user.id)) {
      await this.deps.notebooks.removeMember(notebookId, user.id);
      await this.deps.rooms.removeDocument(privateRoom(notebookId, user.id), 'account deleted');
    }
    await this.deps.meta.deleteUser(user.id);
    this.deps.log.info({ user: user.id, by: admin.id, notebooksDeleted: owned.length }, 'user deleted');
    return { notebooksDeleted: owned.length };
  }

  /** Closes the user's connections and stops their kernels. */
  private async cutOff(user: UserRecord, reason: string): Promise<void> {
    const memberships = await this.deps.meta.notebooksOf(user.id);
    for (const { notebookId } of memberships) await this.deps.disconnect(notebookId, user.id, CloseCode.Revoked, reason);
    const theirs = this.deps.kernels.list().filter((managed) => !managed.key.shared && managed.key.userId === user.id);
    await Promise.all(
      theirs.map((managed) =>
        this.deps.execution.shutdown(managed.key).catch((error: unknown) =>
          this.deps.log.error({ err: error, user: user.id, kernel: managed.keyId }, 'stopping a disabled user’s kernel failed'),
        ),
      ),
    );
  }
}
