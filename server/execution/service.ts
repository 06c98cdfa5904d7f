// Runs cells for users: checks who may run what, picks the kernel (the user's own for user-scope
// cells, the notebook's shared one for shared-scope cells), queues the runs, answers stdin, and
// controls kernels. Results are written into documents by each kernel's KernelSession.
import { HttpError } from '../errors.ts';
import type { ExecutionInfo, StdinRequest } from '../../shared/schema.ts';
import { cellId, cellScope, cellSource, cellType, notebookMetadata, readableCells } from '../../shared/schema.ts';
import { privateDoc, resultsRoom, sharedDoc } from '../../shared/layout.ts';
import type { Scope } from '../../shared/schema.ts';
import { can } from '../../shared/roles.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { myVersion, scratchCell } from '../../shared/myCells.ts';
import type { KernelManager, KernelKey, ManagedKernel } from '../kernels/manager.ts';
import { kernelKeyId } from '../kernels/manager.ts';
import { KernelLimitError, NoSuchKernelError } from '../kernels/errors.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { Logger } from '../log.ts';
import type { NotebookSummary } from '../notebooks/service.ts';
import type { Rooms } from '../sync/rooms.ts';
import type { ActiveRun, CellRun, SessionHooks } from './session.ts';
import { KERNEL_ORIGIN, KernelSession } from './session.ts';

export interface RunResult {
  cellId: string;
  scope: Scope;
  info: Promise<ExecutionInfo>;
}

interface PendingInput {
  session: KernelSession;
  run: ActiveRun;
  msg: KernelMessage<'input_request'>;
  requestId: string;
}

/** Extension points for the widget bridge (issue: widgets). */
export interface ExecutionPlugins {
  hooksFor?(service: ExecutionService): Partial<SessionHooks>;
  /** A kernel of this session was (re)placed: a new process, nothing of the old one exists. */
  onKernelReset?(session: KernelSession, reason: 'restarted' | 'culled' | 'dead' | 'stopped'): void;
  onKernelAttached?(session: KernelSession, managed: ManagedKernel): void;
}

export interface ExecutionDeps {
  rooms: Rooms;
  kernels: KernelManager;
  log: Logger;
  maxOutputBytes: number;
  plugins?: ExecutionPlugins;
  /** Every finished run (counts for a classroom roster; never outputs). */
  onRunFinished?: (run: FinishedRun) => void;
}

export interface FinishedRun {
  notebookId: string;
  userId: string;
  cellId: string;
  scope: Scope;
  status: ExecutionInfo['status'];
  /** When the run was accepted and when it ended (ms since epoch), for the latency metric. */
  queuedAt: number;
  finishedAt: number;
}

export class ExecutionService {
  private readonly sessions = new Map<string, Promise<KernelSession>>();
  private readonly inputs = new Map<string, PendingInput>();
  private readonly hooks: SessionHooks;
  private disposing: Promise<void> | undefined;
  /** Kernel keys of users whose access was revoked (guests of an ended session): never started again. */
  private readonly revoked = new Set<string>();
  /** Shared kernel key → the user whose run last asked for it: a start counts toward their cap. */
  private readonly sharedRunBy = new Map<string, string>();

  constructor(private readonly deps: ExecutionDeps) {
    const extra = deps.plugins?.hooksFor?.(this) ?? {};
    this.hooks = {
      ...extra,
      onInputRequest: (session, run, msg) => this.inputRequested(session, run, msg),
      onRunEnd: (session, run) => {
        this.clearInput(session.key.notebookId, run.userId, run.msgId);
        extra.onRunEnd?.(session, run);
      },
    };
    deps.kernels.on('status', (key, status) => {
      const session = this.sessions.get(kernelKeyId(key));
      if (!session) return;
      session
        .then((s) => {
          s.setKernelStatus(status === 'starting' ? 'starting' : status);
          if (status === 'culled') this.deps.plugins?.onKernelReset?.(s, 'culled');
        })
        .catch(this.logFailure('mirroring a kernel status'));
    });
    // A session holds its document in memory; let it go once its kernel is gone and nothing waits.
    deps.kernels.on('removed', (key) => {
      const id = kernelKeyId(key);
      this.sessions
        .get(id)
        ?.then((s) => {
          if (s.busy || this.deps.kernels.get(key) || this.sessions.get(id) === undefined) return;
          this.sessions.delete(id);
          s.dispose();
        })
        .catch(this.logFailure('closing a session'));
    });
    deps.kernels.on('dead', (key, reason) => {
      this.sessions
        .get(kernelKeyId(key))
        ?.then((s) => {
          s.kernelDied(reason);
          s.setKernelStatus('dead', { message: `kernel died: ${reason}` });
          this.deps.plugins?.onKernelReset?.(s, 'dead');
        })
        .catch(this.logFailure('reporting a dead kernel'));
    });
  }

  /** The session of a kernel key, holding its target document. */
  session(key: KernelKey): Promise<KernelSession> {
    const id = kernelKeyId(key);
    let session = this.sessions.get(id);
    if (!session) {
      const room = resultsRoom(key);
      session = this.deps.rooms.acquire(room).then(
        (lease) =>
          new KernelSession(
            key,
            lease,
            () => this.kernelOf(key),
            this.hooks,
            this.deps.maxOutputBytes,
            this.deps.log.child({ kernel: id }),
          ),
      );
      session.catch(() => this.sessions.delete(id));
      this.sessions.set(id, session);
    }
    return session;
  }

  existingSession(key: KernelKey): Promise<KernelSession> | undefined {
    return this.sessions.get(kernelKeyId(key));
  }

  /** The kernel of a key, started if needed, with the session watching it. */
  private async kernelOf(key: KernelKey, specName?: string): Promise<ManagedKernel> {
    const session = await this.session(key);
    const before = this.deps.kernels.get(key);
    const spec = specName ?? (await this.specOf(key.notebookId));
    // Checked in the same turn as kernelFor registers the start: revokeUser either sees the start
    // (and stops it once it is up) or this refuses it. No await may come between the two.
    const id = kernelKeyId(key);
    if (this.revoked.has(id)) throw new HttpError(410, 'access_revoked', 'your access to this notebook was revoked');
    // The per-user kernel cap counts shared kernels too, charged to the user whose run starts one.
    const startedBy = key.shared ? this.sharedRunBy.get(id) : key.userId;
    const managed = await this.deps.kernels.kernelFor(key, spec, startedBy);
    // Revoked while it started: revokeUser stops it; no run may use it meanwhile.
    if (this.revoked.has(id)) throw new HttpError(410, 'access_revoked', 'your access to this notebook was revoked');
    if (before !== managed) {
      session.kernelReplaced();
      session.watch(managed);
      managed.kernel.on('restarted', () => {
        session.abortQueued('the kernel was restarted');
        this.deps.plugins?.onKernelReset?.(session, 'restarted');
      });
      session.setKernelStatus(managed.kernel.state === 'starting' ? 'starting' : managed.kernel.state, {
        name: managed.specName,
        message: null,
      });
      this.deps.plugins?.onKernelAttached?.(session, managed);
    }
    this.deps.kernels.touch(key);
    return managed;
  }

  private async specOf(notebookId: string): Promise<string | undefined> {
    const lease = await this.deps.rooms.acquire(sharedRoom(notebookId));
    try {
      const kernelspec = notebookMetadata(lease.room.doc).kernelspec as { name?: unknown } | undefined;
      return typeof kernelspec?.name === 'string' && kernelspec.name !== '' ? kernelspec.name : undefined;
    } finally {
      lease.release();
    }
  }

  /**
   * Runs cells in order, with their sources as they are now — the user's own version where they
   * have one (their copy of an exercise cell; their scratch cells, which run in their kernel).
   * Checks every cell first, so an unknown id or a forbidden cell runs nothing.
   */
  async execute(notebook: NotebookSummary, userId: string, cellIds: unknown): Promise<RunResult[]> {
    if (this.disposing) throw new HttpError(503, 'shutting_down', 'the server is shutting down');
    if (!Array.isArray(cellIds) || cellIds.length === 0 || !cellIds.every((id) => typeof id === 'string')) {
      throw new HttpError(400, 'invalid_cell_ids', 'cellIds must be a non-empty array of cell ids');
    }
    if (!can.runUserCells(notebook.role)) {
      throw new HttpError(403, 'forbidden', `your role (${notebook.role}) may not run cells`);
    }
    const lease = await this.deps.rooms.acquire(sharedRoom(notebook.id));
    // The user's own versions: copies of exercise cells and scratch cells (shared/myCells.ts).
    const mine = await this.deps.rooms.acquire(privateRoom(notebook.id, userId)).catch((err: unknown) => {
      lease.release();
      throw err;
    });
    const plan: Array<{ cellId: string; scope: Scope; source: string }> = [];
    try {
      const readable = readableCells(sharedDoc(lease.room.doc).cells, (index) => lease.room.skipped(`cells[${index}]`));
      const cells = new Map(readable.map((cell) => [cellId(cell), cell] as const));
      for (const id of cellIds) {
        const cell = cells.get(id);
        if (!cell) {
          const scratch = scratchCell(mine.room.doc, id);
          if (!scratch) throw new HttpError(404, 'cell_not_found', `no cell "${id}" in this notebook`);
          if (scratch.type === 'code') plan.push({ cellId: id, scope: 'user', source: scratch.source.toString() });
          continue;
        }
        if (cellType(cell) !== 'code') continue;
        const scope = cellScope(cell);
        if (scope === 'shared' && !can.runSharedCells(notebook.role)) {
          throw new HttpError(403, 'forbidden', `cell "${id}" is shared-scope: only the owner may run it`);
        }
        plan.push({ cellId: id, scope, source: scope === 'user' ? myVersion(cell, mine.room.doc).source : cellSource(cell).toString() });
      }
    } finally {
      lease.release();
      mine.release();
    }
    // Consecutive cells of one scope form a segment; segments run one after another, in cell order.
    const segments: Array<{ scope: Scope; cells: typeof plan }> = [];
    for (const p of plan) {
      const last = segments[segments.length - 1];
      if (last && last.scope === p.scope) last.cells.push(p);
      else segments.push({ scope: p.scope, cells: [p] });
    }
    const results: RunResult[] = [];
    let previous: Promise<boolean> = Promise.resolve(true);
    for (const segment of segments) {
      const scope = segment.scope;
      const key: KernelKey = scope === 'shared' ? { notebookId: notebook.id, shared: true } : { notebookId: notebook.id, userId };
      if (key.shared) this.sharedRunBy.set(kernelKeyId(key), userId);
      await this.checkCanStart(key);
      const session = await this.session(key);
      const runs: CellRun[] = segment.cells.map((p) => {
        let resolveInfo!: (info: ExecutionInfo) => void;
        const info = new Promise<ExecutionInfo>((resolve) => (resolveInfo = resolve));
        const settle = (finished: ExecutionInfo) => {
          resolveInfo(finished);
          this.deps.onRunFinished?.({
            notebookId: notebook.id,
            userId,
            cellId: p.cellId,
            scope,
            status: finished.status,
            queuedAt: finished.queued_at,
            finishedAt: finished.finished_at ?? Date.now(),
          });
        };
        results.push({ cellId: p.cellId, scope, info });
        return { cellId: p.cellId, source: p.source, userId, settle };
      });
      previous = session.enqueue(runs, previous);
    }
    return results;
  }

  /** A limit error (429/503) or a revoked user (410) should answer the request, not only fail the run later. */
  private async checkCanStart(key: KernelKey): Promise<void> {
    if (this.deps.kernels.get(key)) return;
    // kernelOf loads documents before kernelFor checks the limits, so a tick is not enough: wait
    // until the manager reports the key `starting` (limits passed) or the start settles.
    const id = kernelKeyId(key);
    let off: () => void = () => undefined;
    const passed = new Promise<'passed'>((resolve) => {
      off = this.deps.kernels.on('status', (k, status) => {
        if (status === 'starting' && kernelKeyId(k) === id) resolve('passed');
      });
    });
    const start = this.kernelOf(key);
    start.catch(() => undefined); // the run reports a failed start; only limit errors answer here
    try {
      const early = await Promise.race([start.then(() => 'started' as const, (err: unknown) => err), passed]);
      if (early instanceof KernelLimitError || (early instanceof HttpError && early.status === 410)) throw early;
    } finally {
      off();
    }
  }

  private inputRequested(session: KernelSession, run: ActiveRun, msg: KernelMessage<'input_request'>): void {
    const requestId = msg.header.msg_id;
    const request: StdinRequest = {
      prompt: msg.content.prompt,
      password: msg.content.password,
      cell_id: run.cellId,
      request_id: requestId,
    };
    this.inputs.set(`${session.key.notebookId}/${run.userId}`, { session, run, msg, requestId });
    // The prompt goes to the private document of the user whose run asked, even for shared cells.
    this.deps.rooms
      .acquire(privateRoom(session.key.notebookId, run.userId))
      .then((lease) => {
        try {
          lease.room.doc.transact(() => privateDoc(lease.room.doc).stdin.set('request', request), KERNEL_ORIGIN);
        } finally {
          lease.release();
        }
      })
      .catch(this.logFailure('showing an input() prompt'));
  }

  private clearInput(notebookId: string, userId: string, msgId?: string): void {
    const key = `${notebookId}/${userId}`;
    const pending = this.inputs.get(key);
    if (!pending || (msgId && pending.run.msgId !== msgId)) return;
    this.inputs.delete(key);
    this.clearInputDoc(notebookId, userId, pending.requestId);
  }

  /** Answers the caller's pending `input()`. Only the user whose run asked may answer. */
  async answerInput(notebookId: string, userId: string, value: unknown): Promise<void> {
    if (typeof value !== 'string') throw new HttpError(400, 'invalid_value', 'value must be a string');
    const key = `${notebookId}/${userId}`;
    const pending = this.inputs.get(key);
    if (!pending) throw new HttpError(409, 'no_input_pending', 'no input() is waiting for you');
    const managed = this.deps.kernels.get(pending.session.key);
    if (!managed) throw new HttpError(409, 'kernel_gone', 'the kernel that asked for input is gone');
    this.inputs.delete(key);
    await managed.kernel.sendStdin({ value }, pending.msg);
    this.clearInputDoc(notebookId, userId, pending.requestId);
  }

  private clearInputDoc(notebookId: string, userId: string, requestId: string): void {
    this.deps.rooms
      .acquire(privateRoom(notebookId, userId))
      .then((lease) => {
        try {
          const stdin = privateDoc(lease.room.doc).stdin;
          if (stdin.get('request')?.request_id === requestId) lease.room.doc.transact(() => stdin.delete('request'), KERNEL_ORIGIN);
        } finally {
          lease.release();
        }
      })
      .catch(this.logFailure('clearing an input() prompt'));
  }

  /** A `.catch` handler for work no request waits for: logged, never an unhandled rejection. */
  private logFailure(what: string): (err: unknown) => void {
    return (err: unknown) => this.deps.log.error({ err }, `${what} failed`);
  }

  keyFor(notebook: NotebookSummary, userId: string, scope: unknown, action: 'read' | 'control'): KernelKey {
    if (scope === 'shared') {
      if (action === 'control' && !can.runSharedCells(notebook.role)) {
        throw new HttpError(403, 'forbidden', 'only the owner controls the shared kernel');
      }
      return { notebookId: notebook.id, shared: true };
    }
    if (scope !== undefined && scope !== 'user') throw new HttpError(400, 'invalid_scope', 'scope is user or shared');
    return { notebookId: notebook.id, userId };
  }

  kernelInfo(key: KernelKey): { status: string; name?: string; pid?: number; fromPool?: boolean; startedAt?: number } {
    const managed = this.deps.kernels.get(key);
    if (!managed) return { status: 'none' };
    return {
      status: managed.kernel.state,
      name: managed.specName,
      fromPool: managed.fromPool,
      startedAt: managed.startedAt,
      pid: managed.kernel.pid,
    };
  }

  async interrupt(key: KernelKey): Promise<void> {
    await this.deps.kernels.interrupt(key);
  }

  async restart(key: KernelKey): Promise<void> {
    const session = await this.existingSession(key);
    session?.setKernelStatus('restarting');
    await this.deps.kernels.restart(key);
  }

  async shutdown(key: KernelKey): Promise<void> {
    await this.deps.kernels.shutdown(key);
    const session = await this.existingSession(key);
    if (session) this.deps.plugins?.onKernelReset?.(session, 'stopped');
  }

  /** Stops a user's kernel on a notebook, also one still starting; none is fine. */
  async stopKernelsOf(notebookId: string, userId: string): Promise<void> {
    try {
      await this.shutdown({ notebookId, userId });
    } catch (err) {
      if (!(err instanceof NoSuchKernelError)) throw err;
    }
  }

  /**
   * A user lost access for good (a guest whose session ended): from this call on, no kernel of
   * theirs on this notebook starts — a queued run fails with "access revoked" — and the one
   * running or starting is stopped. The refusal takes effect before the promise is awaited.
   */
  revokeUser(notebookId: string, userId: string): Promise<void> {
    this.revoked.add(kernelKeyId({ notebookId, userId }));
    return this.stopKernelsOf(notebookId, userId);
  }

  /** Ends every session; kernels are stopped by the manager's dispose. */
  dispose(): Promise<void> {
    return (this.disposing ??= (async () => {
      const sessions = await Promise.allSettled([...this.sessions.values()]);
      for (const s of sessions) if (s.status === 'fulfilled') s.value.dispose();
      this.sessions.clear();
    })());
  }
}
