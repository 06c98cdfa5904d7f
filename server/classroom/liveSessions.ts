// Live classroom sessions: an owner starts one on a notebook and gets a join code; students join
// with the code as guests (runner on that notebook only, each with a private kernel); the teacher
// sees a roster of counts and states — never a student's outputs or variables; ending the
// session revokes the guests, stops their kernels, and keeps or deletes their private documents.
import { sharedDoc } from '../../shared/layout.ts';
import { CloseCode, SESSION_ENDED_REASON } from '../../shared/closeCodes.ts';
import { HttpError } from '../errors.ts';
import { randomInt } from 'node:crypto';
import * as Y from 'yjs';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import type { Users } from '../auth/users.ts';
import type { ExecutionService, FinishedRun } from '../execution/service.ts';
import type { Logger } from '../log.ts';
import type { NotebookSummary, Notebooks } from '../notebooks/service.ts';
import type { LiveSessionRecord, Store, UserRecord } from '../store/types.ts';
import type { Rooms } from '../sync/rooms.ts';
import { bringToClass } from '../exercises/handins.ts';
import type { ExerciseProgress } from '../exercises/progress.ts';
import { exerciseProgress } from '../exercises/progress.ts';

/** No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read aloud and typed from a projector. */
const CODE_ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';
const CODE_LENGTH = 7; // 25^7 ≈ 6·10^9, with attempts rate-limited per address
/** Transaction origin of what the classroom layer writes into the shared document. */
const CLASSROOM_ORIGIN = Symbol('classroom');

export interface Roster {
  students: Array<{ userId: string; name: string; guest: boolean; connected: boolean; kernel: string }>;
  connected: number;
  cells: Array<{ cellId: string; ran: number; ok: number; errors: number }>;
  /** Per exercise cell: how many students edited it (have their own copy), ran it, got an error. */
  exercises: ExerciseProgress[];
}

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
  /** notebookId → cellId → userId → status of that user's latest run. */
  private readonly runs = new Map<string, Map<string, Map<string, FinishedRun['status']>>>();
  /** notebookId → times of the last minute's joins that added a participant. */
  private readonly recentJoins = new Map<string, number[]>();
  /** notebookId → the join or end in progress: they run one at a time per notebook. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ClassroomDeps) {}

  /** For ExecutionService.onRunFinished: counts per cell while a session is live. */
  recordRun(run: FinishedRun): void {
    const cells = this.runs.get(run.notebookId);
    if (!cells) return;
    let users = cells.get(run.cellId);
    if (!users) {
      users = new Map();
      cells.set(run.cellId, users);
    }
    users.set(run.userId, run.status);
  }

  async get(notebookId: string): Promise<LiveSessionRecord | undefined> {
    return this.deps.store.meta.getLiveSession(notebookId);
  }

  async start(notebook: NotebookSummary, by: UserRecord): Promise<{ session: LiveSessionRecord; created: boolean }> {
    const existing = await this.get(notebook.id);
    if (existing) {
      this.runs.set(notebook.id, this.runs.get(notebook.id) ?? new Map<string, Map<string, FinishedRun['status']>>());
      return { session: existing, created: false };
    }
    let code = newCode();
    while (await this.deps.store.meta.liveSessionByCode(code)) code = newCode();
    const session: LiveSessionRecord = { notebookId: notebook.id, code, startedAt: Date.now(), startedBy: by.id };
    await this.deps.store.meta.putLiveSession(session);
    this.runs.set(notebook.id, new Map());
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
    const normalized = typeof code === 'string' ? code.trim().toUpperCase().replace(/[\s-]/g, '') : '';
    const found = normalized.length === CODE_LENGTH ? await this.deps.store.meta.liveSessionByCode(normalized) : undefined;
    if (!found) throw new HttpError(404, 'join_code_invalid', 'no live session has that code (it may have ended)');
    const notebookId = found.notebookId;
    return this.oneAtATime(notebookId, async () => {
      const session = await this.get(notebookId);
      if (session?.code !== found.code) throw new HttpError(404, 'join_code_invalid', 'no live session has that code (it may have ended)');
      if (signedIn && !signedIn.guest) {
        if (!(await this.deps.notebooks.roleOf(notebookId, signedIn.id))) {
          this.checkJoinQuota(notebookId);
          await this.deps.notebooks.setMember(notebookId, signedIn.id, 'runner');
          this.recordJoin(notebookId);
        }
        return { notebookId, user: signedIn };
      }
      if (signedIn?.guest?.notebookId === notebookId) return { notebookId, user: signedIn };
      this.checkJoinQuota(notebookId);
      const { user, token } = await this.deps.users.createGuest(name, notebookId);
      await this.deps.notebooks.setMember(notebookId, user.id, 'runner');
      this.recordJoin(notebookId);
      return { notebookId, user, token };
    });
  }

  /**
   * Refuses a join that would add a participant past the per-minute quota. Checked and then
   * recorded under the notebook's one-at-a-time rule, so concurrent joins cannot overshoot, and
   * a join that fails (a bad name) does not use up the quota.
   */
  private checkJoinQuota(notebookId: string): void {
    const max = this.deps.joinsPerSessionPerMinute ?? 0;
    if (max === 0) return;
    const now = Date.now();
    const recent = (this.recentJoins.get(notebookId) ?? []).filter((t) => now - t < 60_000);
    this.recentJoins.set(notebookId, recent);
    if (recent.length >= max) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      throw new HttpError(
        429,
        'session_join_limit',
        `this live session accepts at most ${max} new participants per minute (--joins-per-session-per-minute); try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
  }

  private recordJoin(notebookId: string): void {
    if (!this.deps.joinsPerSessionPerMinute) return;
    const recent = this.recentJoins.get(notebookId) ?? [];
    recent.push(Date.now());
    this.recentJoins.set(notebookId, recent);
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
    this.runs.delete(notebookId);
    this.recentJoins.delete(notebookId);
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

  /** Counts and states only: who is here, their kernel state, per cell how many ran it, per exercise how many edited it. */
  async roster(notebook: NotebookSummary, isConnected: (userId: string) => boolean): Promise<Roster> {
    const members = await this.deps.notebooks.members(notebook.id);
    const students = await Promise.all(
      members
        .filter((m) => m.role === 'runner' || m.role === 'viewer')
        .map(async (m) => {
          const user = await this.deps.store.meta.getUser(m.userId);
          return {
            userId: m.userId,
            name: m.name,
            guest: user?.guest !== undefined,
            connected: isConnected(m.userId),
            kernel: this.deps.execution.kernelInfo({ notebookId: notebook.id, userId: m.userId }).status,
          };
        }),
    );
    const studentIds = new Set(students.map((s) => s.userId));
    const cells = [...(this.runs.get(notebook.id) ?? new Map<string, Map<string, FinishedRun['status']>>()).entries()].map(
      ([cellId, byUser]) => {
        const statuses = [...byUser.entries()].filter(([userId]) => studentIds.has(userId)).map(([, status]) => status);
        return {
          cellId,
          ran: statuses.length,
          ok: statuses.filter((s) => s === 'ok').length,
          errors: statuses.filter((s) => s === 'error').length,
        };
      },
    );
    const exercises = await exerciseProgress(this.deps.rooms, notebook.id, [...studentIds], cells);
    return { students, connected: students.filter((s) => s.connected).length, cells, exercises };
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

function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}
