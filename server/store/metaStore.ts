// Users, tokens, sessions, notebooks, members and live sessions on LevelDB, each a sublevel;
// opened by level.ts.
import type { Level } from 'level';
import type { Role } from '../../shared/roles.ts';
import { isRole } from '../../shared/roles.ts';
import type { Sub } from './keys.ts';
import { END, SEP } from './keys.ts';
import type { LiveSessionRecord, MetaStore, NotebookRecord, SessionRecord, UserRecord } from './types.ts';

/**
 * Metadata on LevelDB. A record and its index entries (a user and its name, a member and its
 * membership, a live session and its code) are written in one atomic batch, so a backup's
 * snapshot, or a crash, never sees one without the other.
 */
export class LevelMetaStore implements MetaStore {
  constructor(
    private readonly db: Level<string, string>,
    private readonly users: Sub<UserRecord>,
    private readonly usernames: Sub<string>,
    private readonly tokens: Sub<string>,
    private readonly sessions: Sub<SessionRecord>,
    private readonly notebooks: Sub<NotebookRecord>,
    private readonly members: Sub<string>,
    private readonly memberships: Sub<string>,
    private readonly liveSessions: Sub<LiveSessionRecord>,
    private readonly joinCodes: Sub<string>,
  ) {}

  async putLiveSession(session: LiveSessionRecord) {
    await this.db
      .batch()
      .put(session.notebookId, session, { sublevel: this.liveSessions })
      .put(session.code, session.notebookId, { sublevel: this.joinCodes })
      .write();
  }
  getLiveSession(notebookId: string) {
    return this.liveSessions.get(notebookId);
  }
  async liveSessionByCode(code: string) {
    const notebookId = await this.joinCodes.get(code);
    if (notebookId === undefined) return undefined;
    const session = await this.liveSessions.get(notebookId);
    return session?.code === code ? session : undefined;
  }
  async deleteLiveSession(session: LiveSessionRecord) {
    await this.db
      .batch()
      .del(session.code, { sublevel: this.joinCodes })
      .del(session.notebookId, { sublevel: this.liveSessions })
      .write();
  }

  async putUser(user: UserRecord, options: { indexName?: boolean } = {}) {
    const batch = this.db.batch().put(user.id, user, { sublevel: this.users });
    if (options.indexName !== false) batch.put(user.name, user.id, { sublevel: this.usernames });
    await batch.write();
  }
  getUser(id: string) {
    return this.users.get(id);
  }
  async getUserByName(name: string) {
    const id = await this.usernames.get(name);
    return id === undefined ? undefined : this.users.get(id);
  }
  listUsers() {
    return this.users.values().all();
  }
  async deleteUser(id: string) {
    const user = await this.users.get(id);
    if (!user) return;
    if ((await this.usernames.get(user.name)) === id) await this.usernames.del(user.name);
    await this.users.del(id);
  }
  async countUsers() {
    return (await this.users.keys().all()).length;
  }
  putTokenHash(hash: string, userId: string) {
    return this.tokens.put(hash, userId);
  }
  userIdForTokenHash(hash: string) {
    return this.tokens.get(hash);
  }
  putSession(hash: string, session: SessionRecord) {
    return this.sessions.put(hash, session);
  }
  getSession(hash: string) {
    return this.sessions.get(hash);
  }
  deleteSession(hash: string) {
    return this.sessions.del(hash);
  }

  putNotebook(notebook: NotebookRecord) {
    return this.notebooks.put(notebook.id, notebook);
  }
  getNotebook(id: string) {
    return this.notebooks.get(id);
  }
  listNotebooks() {
    return this.notebooks.values().all();
  }
  async deleteNotebook(id: string) {
    const batch = this.db.batch();
    for (const { userId } of await this.listMembers(id)) {
      batch.del(`${id}${SEP}${userId}`, { sublevel: this.members }).del(`${userId}${SEP}${id}`, { sublevel: this.memberships });
    }
    await batch.del(id, { sublevel: this.notebooks }).write();
  }

  async setMember(notebookId: string, userId: string, role: Role) {
    await this.db
      .batch()
      .put(`${notebookId}${SEP}${userId}`, role, { sublevel: this.members })
      .put(`${userId}${SEP}${notebookId}`, role, { sublevel: this.memberships })
      .write();
  }
  async removeMember(notebookId: string, userId: string) {
    await this.db
      .batch()
      .del(`${notebookId}${SEP}${userId}`, { sublevel: this.members })
      .del(`${userId}${SEP}${notebookId}`, { sublevel: this.memberships })
      .write();
  }
  async getRole(notebookId: string, userId: string) {
    const role = await this.members.get(`${notebookId}${SEP}${userId}`);
    return isRole(role) ? role : undefined;
  }
  async listMembers(notebookId: string) {
    const rows = await this.members.iterator({ gt: `${notebookId}${SEP}`, lt: `${notebookId}${SEP}${END}` }).all();
    return rows.flatMap(([key, role]) => (isRole(role) ? [{ userId: key.slice(notebookId.length + 1), role }] : []));
  }
  async notebooksOf(userId: string) {
    const rows = await this.memberships.iterator({ gt: `${userId}${SEP}`, lt: `${userId}${SEP}${END}` }).all();
    return rows.flatMap(([key, role]) => (isRole(role) ? [{ notebookId: key.slice(userId.length + 1), role }] : []));
  }
}
