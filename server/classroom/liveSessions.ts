// Live classroom sessions: an owner starts one on a notebook and gets a join code (joinCodes.ts);
// students join with the code as guests (runner on that notebook only, each with a private kernel;
// joinQuota.ts bounds how fast); the teacher sees a roster of counts and states (roster.ts); ending
// the session revokes the guests, stops their kernels, and keeps or deletes their private documents.
import { sharedDoc } from '../../shared/layout.ts';
import { CloseCode, SESSION_ENDED_REASON } from '../../shared/closeCodes.ts';
import { HttpError } from '../errors.ts';
import * as Y from 'yjs';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import type { Users } from '../auth/users.ts';
import type { ExecutionService, FinishedRun } from '../execution/service.ts';
import type { Logger } from '../log.ts';
import type { NotebookSummary, Notebooks } from '../notebooks/service.ts';
import type { LiveSessionRecord, Store, UserRecord } from '../store/types.ts';
import type { Rooms } from '../sync/rooms.ts';
import { bringToClass } from '../exercises/handins.ts';
import { newJoinCode, normalizeJoinCode } from './joinCodes.ts';
import { JoinQuota } from './joinQuota.ts';
import type { Roster } from './roster.ts';
import { rosterOf, SessionRuns } from './roster.ts';

/** Transaction origin of what the classroom layer writes into the shared document. */
const CLASSROOM_ORIGIN = Symbol('classroom');

export interface ClassroomDeps {
  store: Store;
  users: Users;
  notebooks: Notebooks;
  rooms: Rooms;
  execution: ExecutionService;
  log: Logger;
  /** Closes a user's sockets on a notebook with a code and reason. */
  disconnect(notebookId: string, userId: string, code: number, reason: string): Promise<void>;
  /** New participants one session accepts per minute; 0 = no limit. */
  joinsPerSessionPerMinute?: number;
  /** Deletes a user's own files (a guest's, when the session ends with their work deleted). */
  removeFiles?: (userId: string) => Promise<void>;
}

export class LiveSessions {
  /** Per cell, each user's latest run while a session is live: the roster's counts. */
  private readonly runs = new SessionRuns();
  private readonly joinQuota: JoinQuota;
  /** notebookId → the join or end in progress: they run one at a time per notebook. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ClassroomDeps) {
    this.joinQuota = new JoinQuota(deps.joinsPerSessionPerMinute ?? 0);
  }

  /** For ExecutionService.onRunFinished: counts per cell while a session is live. */
  recordRun(run: FinishedRun): void {
    this.runs.record(run);
  }

  async get(notebookId: string): Promise<LiveSessionRecord | undefined> {
    return this.deps.store.meta.getLiveSession(notebookId);
  }

  async start(notebook: NotebookSummary, by: UserRecord): Promise<{ session: LiveSessionRecord; created: boolean }> {
    const existing = await this.get(notebook.id);
    if (existing) {
      this.runs.resume(notebook.id);
      return { session: existing, created: false };
    }
    let code = newJoinCode();
    while (await this.deps.store.meta.liveSessionByCode(code)) code = newJoinCode();
    const session: LiveSessionRecord = { notebookId: notebook.id, code, startedAt: Date.now(), startedBy: by.id };
    await this.deps.store.meta.putLiveSession(session);
    this.runs.start(notebook.id);
    await this.writeSessionState(notebook.id, (state) => {
      state.set('active', true);
      state.set('startedAt', session.startedAt);
      state.delete('spotlight');
    });
    this.deps.log.info({ notebook: notebook.id }, 'live session started');
    return { session, created: true };
  }

  /**
   * A student joins: a guest user (or the signed-in user) becomes a runner on the notebook.
   * One at a time per notebook with `end`, so a join cannot add a guest that an ending session
   * no longer sees.
   */
  async join(code: unknown, name: unknown, signedIn: UserRecord | undefined): Promise<{ notebookId: string; user: UserRecord; token?: string }> {
    const normalized = normalizeJoinCode(code);
    const found = normalized ? await this.deps.store.meta.liveSessionByCode(normalized) : undefined;
    if (!found) throw new HttpError(404, 'join_code_invalid', 'no live session has that code (it may have ended)');
    const notebookId = found.notebookId;
    return this.oneAtATime(notebookId, async () => {
      const session = await this.get(notebookId);
      if (session?.code !== found.code) throw new HttpError(404, 'join_code_invalid', 'no live session has that code (it may have ended)');
      if (signedIn && !signedIn.guest) {
        if (!(await this.deps.notebooks.roleOf(notebookId, signedIn.id))) {
          this.joinQuota.check(notebookId);
          await this.deps.notebooks.setMember(notebookId, signedIn.id, 'runner');
          this.joinQuota.record(notebookId);
        }
        return { notebookId, user: signedIn };
      }
      if (signedIn?.guest?.notebookId === notebookId) return { notebookId, user: signedIn };
      this.joinQuota.check(notebookId);
      const { user, token } = await this.deps.users.createGuest(name, notebookId);
      await this.deps.notebooks.setMember(notebookId, user.id, 'runner');
      this.joinQuota.record(notebookId);
      return { notebookId, user, token };
    });
  }

  private oneAtATime<T>(notebookId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.busy.get(notebookId) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(work);
    this.busy.set(notebookId, mine);
    const forget = () => {
      if (this.busy.get(notebookId) === mine) this.busy.delete(notebookId);
    };
    mine.then(forget, forget);
    return mine;
  }

  /**
   * Ends the session: guests lose access (their sockets close with a clear reason), their
   * kernels stop, and their private documents are kept or deleted.
   *
   * Revocation comes first and takes effect at once, before anything is awaited: from then on
   * no token or cookie of a guest authenticates, no socket of theirs is accepted (one that was
   * being accepted closes itself on joining), and no kernel of theirs starts (a start already
   * under way is awaited and stopped). Only then are sockets closed, kernels stopped and the
   * change stored, so by the time this returns nothing of the guests runs and nothing can start.
   */
  async end(notebookId: string, keepPrivate: boolean): Promise<{ guests: number }> {
    return this.oneAtATime(notebookId, () => this.endNow(notebookId, keepPrivate));
  }

  private async endNow(notebookId: string, keepPrivate: boolean): Promise<{ guests: number }> {
    const session = await this.get(notebookId);
    if (!session) throw new HttpError(404, 'no_session', 'no live session on this notebook');
    const guests = await this.guestsOf(notebookId);
    const ids = guests.map((g) => g.id);
    // Synchronous from here to the first await: the revocation is one step.
    const stored = this.deps.users.revoke(ids, SESSION_ENDED_REASON);
    const stopped = ids.map((id) => this.deps.execution.revokeUser(notebookId, id));
    await Promise.all(ids.map((id) => this.deps.disconnect(notebookId, id, CloseCode.Revoked, SESSION_ENDED_REASON)));
    await Promise.all([stored, ...stopped]);
    await this.deps.store.meta.deleteLiveSession(session);
    for (const id of ids) {
      await this.deps.notebooks.removeMember(notebookId, id);
      if (!keepPrivate) {
        await this.deps.rooms.removeDocument(privateRoom(notebookId, id));
        // A guest's files (their home) go with their private document: a guest has no other notebook.
        await this.deps.removeFiles?.(id);
      }
    }
    this.runs.stop(notebookId);
    this.joinQuota.forget(notebookId);
    await this.writeSessionState(notebookId, (state) => {
      state.set('active', false);
      state.delete('spotlight');
    });
    this.deps.log.info({ notebook: notebookId, guests: guests.length, keepPrivate }, 'live session ended');
    return { guests: guests.length };
  }

  private async guestsOf(notebookId: string): Promise<UserRecord[]> {
    const members = await this.deps.store.meta.listMembers(notebookId);
    const users = await Promise.all(members.map((m) => this.deps.store.meta.getUser(m.userId)));
    return users.filter((u): u is UserRecord => u?.guest?.notebookId === notebookId);
  }

  /** Counts and states only (roster.ts). */
  roster(notebook: NotebookSummary, isConnected: (userId: string) => boolean): Promise<Roster> {
    return rosterOf(this.deps, this.runs, notebook, isConnected);
  }

  /** Shows one published output to the whole class (or clears it). */
  async spotlight(notebookId: string, pick: { cellId?: unknown; userId?: unknown }): Promise<void> {
    if (pick.cellId === undefined && pick.userId === undefined) {
      await this.writeSessionState(notebookId, (state) => state.delete('spotlight'));
      return;
    }
    if (typeof pick.cellId !== 'string' || typeof pick.userId !== 'string') {
      throw new HttpError(400, 'invalid_spotlight', 'give { cellId, userId } of a published output, or {} to clear');
    }
    const { cellId, userId } = pick;
    // A hand-in only the teacher saw goes to the class now: the owner chose to show it.
    await bringToClass(this.deps.rooms, notebookId, cellId, userId);
    const lease = await this.deps.rooms.acquire(sharedRoom(notebookId));
    try {
      const published = sharedDoc(lease.room.doc).published.get(cellId)?.get(userId);
      if (!published) throw new HttpError(404, 'not_published', 'that student has not published this cell');
    } finally {
      lease.release();
    }
    await this.writeSessionState(notebookId, (state) => state.set('spotlight', { cellId, userId }));
  }

  private async writeSessionState(notebookId: string, change: (state: Y.Map<unknown>) => void): Promise<void> {
    const lease = await this.deps.rooms.acquire(sharedRoom(notebookId));
    try {
      lease.room.doc.transact(() => change(sharedDoc(lease.room.doc).session), CLASSROOM_ORIGIN);
      await lease.room.flushed();
    } finally {
      lease.release();
    }
  }
}
