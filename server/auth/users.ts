// Users, their tokens and browser sessions. Only hashes of tokens and session ids are stored.
import { HttpError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MetaStore, UserRecord } from '../store/types.ts';
import { hashSecret, newId, newSecret } from './tokens.ts';

export const SESSION_COOKIE = 'cohort_session';
const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
const USER_NAME = /^[\p{L}\p{N} ._-]{1,64}$/u;

export class Users {
  /** Users revoked in this run: refused even by a lookup that read their record before it was stored. */
  private readonly revoked = new Map<string, string>();

  constructor(
    private readonly meta: MetaStore,
    private readonly log: Logger,
  ) {}

  /** Creates a user; the token is returned once and only its hash is kept. */
  async create(name: string, options: { admin?: boolean; token?: string } = {}): Promise<{ user: UserRecord; token: string }> {
    if (typeof name !== 'string' || !USER_NAME.test(name)) {
      throw new HttpError(400, 'invalid_name', 'a user name is 1-64 letters, digits, spaces, dots, dashes or underscores');
    }
    if (await this.meta.getUserByName(name)) throw new HttpError(409, 'name_taken', `a user named "${name}" exists`);
    const user: UserRecord = { id: newId(), name, admin: options.admin ?? false, created_at: Date.now() };
    const token = options.token ?? newSecret();
    // Token first: a snapshot (backup) or crash in between leaves a hash pointing at no user, which
    // is harmless, rather than a user whose token was never stored.
    await this.meta.putTokenHash(hashSecret(token), user.id);
    await this.meta.putUser(user);
    this.log.info({ user: user.id, name }, 'user created');
    return { user, token };
  }

  /** On a fresh data dir: the `admin` user, with the given token or a random one. */
  async ensureAdmin(token?: string): Promise<{ user: UserRecord; token?: string }> {
    const existing = await this.meta.getUserByName('admin');
    if (existing) {
      if (token && (await this.meta.userIdForTokenHash(hashSecret(token))) !== existing.id) {
        await this.meta.putTokenHash(hashSecret(token), existing.id);
      }
      return { user: existing, token };
    }
    return this.create('admin', { admin: true, token });
  }

  /** A guest of a live session: a display name (not unique), a token, no global name. */
  async createGuest(name: unknown, notebookId: string): Promise<{ user: UserRecord; token: string }> {
    if (typeof name !== 'string' || !USER_NAME.test(name.trim())) {
      throw new HttpError(400, 'invalid_name', 'a display name is 1-64 letters, digits, spaces, dots, dashes or underscores');
    }
    const user: UserRecord = { id: newId(), name: name.trim(), admin: false, created_at: Date.now(), guest: { notebookId } };
    const token = newSecret();
    await this.meta.putTokenHash(hashSecret(token), user.id); // first, as in create()
    await this.meta.putUser(user, { indexName: false });
    this.log.info({ user: user.id, notebook: notebookId }, 'guest joined');
    return { user, token };
  }

  /**
   * Guests whose session ended: every token and cookie of theirs stops working. Takes effect
   * before the returned promise is even awaited (an in-memory mark checked after every lookup),
   * so no request that authenticates from this call on gets through; then it is stored.
   * The mark stays for the process's life: a lookup that read the record before it was stored
   * must still be refused, and a few bytes per ended guest is a small price.
   */
  revoke(userIds: readonly string[], reason: string): Promise<void> {
    for (const id of userIds) this.revoked.set(id, reason);
    return (async () => {
      for (const id of userIds) {
        const user = await this.meta.getUser(id);
        if (user && !user.disabled) await this.meta.putUser({ ...user, disabled: true }, { indexName: !user.guest });
      }
    })();
  }

  /** Why a user's access was revoked in this run (for closing a socket that raced the revocation). */
  revokedReason(userId: string): string | undefined {
    return this.revoked.get(userId);
  }

  private async active(id: string | undefined): Promise<UserRecord | undefined> {
    if (id === undefined) return undefined;
    const user = await this.meta.getUser(id);
    return user && !user.disabled && !this.revoked.has(id) ? user : undefined;
  }

  async byToken(token: string): Promise<UserRecord | undefined> {
    return this.active(await this.meta.userIdForTokenHash(hashSecret(token)));
  }

  byId(id: string): Promise<UserRecord | undefined> {
    return this.meta.getUser(id);
  }

  async startSession(userId: string): Promise<{ sessionId: string; maxAgeMs: number }> {
    const sessionId = newSecret();
    await this.meta.putSession(hashSecret(sessionId), { userId, expires_at: Date.now() + SESSION_TTL_MS });
    return { sessionId, maxAgeMs: SESSION_TTL_MS };
  }

  async bySession(sessionId: string): Promise<UserRecord | undefined> {
    const hash = hashSecret(sessionId);
    const session = await this.meta.getSession(hash);
    if (!session) return undefined;
    if (session.expires_at < Date.now()) {
      await this.meta.deleteSession(hash);
      return undefined;
    }
    return this.active(session.userId);
  }

  endSession(sessionId: string): Promise<void> {
    return this.meta.deleteSession(hashSecret(sessionId));
  }
}
