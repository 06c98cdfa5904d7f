// Runs cells for users and controls their kernels. A run request arrives planned (planner.ts:
// segments of one scope each); this service checks the kernel limits at once, gives each segment to
// the session of its kernel key (sessions.ts) — the user's own for user-scope cells, the notebook's
// shared one for shared-scope cells — with that kernel's start, and hands the runs' results back as
// they finish. Each kernel's KernelSession runs its cells and writes their results into its
// document; what happens to a kernel is kernelLifecycle.ts's; input() is stdin.ts's.
import type { Output } from '../../shared/nbformat.ts';
import type { ExecutionInfo, Scope } from '../../shared/schema.ts';
import { HttpError } from '../errors.ts';
import type { KernelManager, ManagedKernel } from '../kernels/manager.ts';
import type { KernelKey } from '../kernels/kernelKeys.ts';
import { kernelKeyId } from '../kernels/kernelKeys.ts';
import { NoSuchKernelError } from '../kernels/errors.ts';
import type { Logger } from '../log.ts';
import type { NotebookSummary } from '../notebooks/service.ts';
import type { Rooms } from '../sync/rooms.ts';
import { KernelLifecycle } from './kernelLifecycle.ts';
import type { Segment } from './planner.ts';
import type { CellRun, KernelSession, SessionHooks } from './session.ts';
import { Sessions } from './sessions.ts';
import { InputPrompts } from './stdin.ts';

/** A finished run as the REST layer answers it: where it ran, how it ended, what it showed. */
export interface RunOutcome extends ExecutionInfo {
  cellId: string;
  scope: Scope;
  outputs: Output[];
}

export interface RunResult {
  cellId: string;
  scope: Scope;
  /** Settles when the run ended (also when it failed or was aborted): never rejects. */
  outcome: Promise<RunOutcome>;
}

/** Why a session's kernel objects are gone: a new process, or none. */
export type KernelReset = 'restarted' | 'culled' | 'dead' | 'stopped';

/** Extension points for the widget bridge. */
export interface ExecutionPlugins {
  hooksFor?(service: ExecutionService): Partial<SessionHooks>;
  /** A kernel of this session was (re)placed: a new process, nothing of the old one exists. */
  onKernelReset?(session: KernelSession, reason: KernelReset): void;
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
  private readonly sessions: Sessions;
  private readonly lifecycle: KernelLifecycle;
  private readonly inputs: InputPrompts;
  private disposing: Promise<void> | undefined;
  /** Kernel keys of users whose access was revoked (guests of an ended session): never started again. */
  private readonly revoked = new Set<string>();
  /** Shared kernel key → the user whose run last asked for it: a start counts toward their cap. */
  private readonly sharedRunBy = new Map<string, string>();

  constructor(private readonly deps: ExecutionDeps) {
    this.inputs = new InputPrompts(deps.rooms, deps.kernels, deps.log);
    const extra = deps.plugins?.hooksFor?.(this) ?? {};
    const hooks: SessionHooks = {
      ...extra,
      onInputRequest: (session, run, msg) => this.inputs.requested(session, run, msg),
      onRunEnd: (session, run) => {
        this.inputs.runEnded(session.key.notebookId, run.userId, run.msgId);
        extra.onRunEnd?.(session, run);
      },
    };
    this.sessions = new Sessions(deps, hooks);
    this.lifecycle = new KernelLifecycle(deps.kernels, this.sessions, deps.plugins, deps.log);
  }

  /** The session of a kernel key if it has one (for the widget bridge: which kernel holds a model). */
  existingSession(key: KernelKey): Promise<KernelSession> | undefined {
    return this.sessions.existing(key);
  }

  /** The kernel of a session's key, started if needed (on the notebook's kernelspec), with the session watching it. */
  private async kernelOf(session: KernelSession, spec: string | undefined): Promise<ManagedKernel> {
    const key = session.key;
    const before = this.deps.kernels.get(key);
    let managed: ManagedKernel;
    try {
      // Checked in the same turn as kernelFor registers the start: revokeUser either sees the start
      // (and stops it once it is up) or this refuses it. No await may come between the two.
      const id = kernelKeyId(key);
      if (this.revoked.has(id)) throw revokedError();
      // The per-user kernel cap counts shared kernels too, charged to the user whose run starts one.
      const startedBy = key.shared ? this.sharedRunBy.get(id) : key.userId;
      managed = await this.deps.kernels.kernelFor(key, spec, startedBy);
      // Revoked while it started: revokeUser stops it; no run may use it meanwhile.
      if (this.revoked.has(id)) throw revokedError();
    } catch (err) {
      this.lifecycle.startFailed(session, err);
      throw err;
    }
    if (before !== managed) this.lifecycle.attached(session, managed);
    this.deps.kernels.touch(key);
    return managed;
  }

  /**
   * Queues the runs of a planned request: segments run one after another, in cell order, each in
   * its kernel; a segment after a failed one is aborted. Refuses the whole request at once (410,
   * 429, 503) when a kernel it needs may not start; a kernel that fails to start fails its runs.
   */
  async execute(notebook: NotebookSummary, userId: string, segments: Segment[]): Promise<RunResult[]> {
    if (this.disposing) throw new HttpError(503, 'shutting_down', 'the server is shutting down');
    const keys = segments.map((segment): KernelKey =>
      segment.scope === 'shared' ? { notebookId: notebook.id, shared: true } : { notebookId: notebook.id, userId },
    );
    for (const key of keys) this.assertCanStart(key, userId);
    const results: RunResult[] = [];
    let previous: Promise<boolean> = Promise.resolve(true);
    for (const [index, segment] of segments.entries()) {
      const key = keys[index]!;
      if (key.shared) this.sharedRunBy.set(kernelKeyId(key), userId);
      const session = await this.sessions.of(key);
      // Started now, as the request arrives; the session's first run waits for it and reports a failed start.
      const kernel = this.kernelOf(session, segment.kernelspec);
      kernel.catch(() => undefined);
      const runs: CellRun[] = segment.cells.map(({ cellId, source }) => {
        let settle!: (outcome: RunOutcome) => void;
        const outcome = new Promise<RunOutcome>((resolve) => (settle = resolve));
        results.push({ cellId, scope: segment.scope, outcome });
        return {
          cellId,
          source,
          userId,
          settle: (info, outputs) => {
            settle({ cellId, scope: segment.scope, ...info, outputs });
            this.deps.onRunFinished?.({
              notebookId: notebook.id,
              userId,
              cellId,
              scope: segment.scope,
              status: info.status,
              queuedAt: info.queued_at,
              finishedAt: info.finished_at ?? Date.now(),
            });
          },
        };
      });
      previous = session.enqueue(runs, kernel, previous);
    }
    return results;
  }

  /** A revoked user (410) or a kernel limit (429/503) answers the request, before anything is queued. */
  private assertCanStart(key: KernelKey, userId: string): void {
    if (this.revoked.has(kernelKeyId(key))) throw revokedError();
    this.deps.kernels.assertCanStart(key, userId);
  }

  /** Answers the caller's pending `input()`. Only the user whose run asked may answer. */
  answerInput(notebookId: string, userId: string, value: string): Promise<void> {
    return this.inputs.answer(notebookId, userId, value);
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

  /** Restarts a key's kernel; its status shows `restarting` from the kernel's own event (kernelStatus.ts). */
  async restart(key: KernelKey): Promise<void> {
    await this.deps.kernels.restart(key);
  }

  async shutdown(key: KernelKey): Promise<void> {
    await this.deps.kernels.shutdown(key);
    await this.lifecycle.stopped(key);
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
    return (this.disposing ??= this.sessions.dispose());
  }
}

function revokedError(): HttpError {
  return new HttpError(410, 'access_revoked', 'your access to this notebook was revoked');
}
