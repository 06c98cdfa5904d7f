// One kernel's work queue. A session exists per kernel key ((notebook, user) or the notebook's
// shared kernel); it runs cells one at a time in order, records how each run ended, and is the one
// listener of its kernel's iopub messages: each goes once, to the widget bridge first (its traffic,
// captured outputs), else to the running cell's outputs if the run caused it (resultsWriter.ts).
import type * as Y from 'yjs';
import type { Output } from '../../shared/nbformat.ts';
import type { ExecutionInfo, ExecutionStatus } from '../../shared/schema.ts';
import { outputsToJSON, sourceDigest } from '../../shared/schema.ts';
import type { Results } from '../../shared/layout.ts';
import { resultsIn, scopeOf } from '../../shared/layout.ts';
import type { ManagedKernel } from '../kernels/manager.ts';
import type { KernelKey } from '../kernels/kernelKeys.ts';
import { NoReplyError } from '../kernels/errors.ts';
import { isMessageType, parentMsgId } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { Logger } from '../log.ts';
import type { RoomLease } from '../sync/rooms.ts';
import { startFailure } from './kernelStatus.ts';
import type { CellOutputs } from './outputs.ts';
import { ResultsWriter } from './resultsWriter.ts';

export interface CellRun {
  cellId: string;
  source: string;
  userId: string;
  /** Called with the run's final status and its outputs once reply and idle both arrived (or it failed). */
  settle(info: ExecutionInfo, outputs: Output[]): void;
}

/** Hooks the widget bridge and stdin use; the session only routes to them. */
export interface SessionHooks {
  /**
   * Every iopub message of the kernel, before anything else sees it; `run` is the running cell's
   * when the message is that run's. True when it was taken (widget traffic, captured output).
   */
  claimIopub?(session: KernelSession, msg: KernelMessage, run: ActiveRun | undefined): boolean;
  onInputRequest(session: KernelSession, run: ActiveRun, msg: KernelMessage<'input_request'>): void;
  onRunEnd(session: KernelSession, run: ActiveRun): void;
}

export interface ActiveRun extends CellRun {
  msgId: string;
  outputs: CellOutputs;
}

export class KernelSession {
  private queue: Promise<void> = Promise.resolve();
  private readonly waiting = new Set<CellRun>();
  private active: ActiveRun | undefined;
  private unsubscribe: (() => void)[] = [];
  /** Where this kernel's results go in the target document (shared/layout.ts). */
  readonly results: Results;
  readonly writer: ResultsWriter;

  constructor(
    readonly key: KernelKey,
    /** The document results go to: the user's private document or the shared document. */
    readonly target: RoomLease,
    private readonly hooks: SessionHooks,
    maxOutputBytes: number,
    private readonly log: Logger,
  ) {
    this.results = resultsIn(target.room.doc, scopeOf(key));
    this.writer = new ResultsWriter(target.room.doc, this.results, maxOutputBytes);
  }

  get doc(): Y.Doc {
    return this.target.room.doc;
  }

  /**
   * Queues runs, to run in `kernel` (this session's kernel, as its start settles); each starts when
   * the previous one is done. `after` gates the first run: a request mixing scopes runs its segments
   * in cell order, across kernels, and a segment whose predecessor failed is aborted (Jupyter's
   * run-all stops at an error). Resolves true when every run of `runs` succeeded.
   */
  enqueue(runs: CellRun[], kernel: Promise<ManagedKernel>, after: Promise<boolean> = Promise.resolve(true)): Promise<boolean> {
    const now = Date.now();
    for (const run of runs) {
      this.waiting.add(run);
      this.writer.recordExecution(run.cellId, { status: 'queued', execution_count: null, queued_at: now });
    }
    let failedBefore = false;
    let gate: Promise<boolean> | undefined = after;
    for (const run of runs) {
      this.queue = this.queue.then(async () => {
        if (gate) {
          failedBefore = !(await gate);
          gate = undefined;
        }
        if (!this.waiting.delete(run)) {
          failedBefore = true; // aborted while queued (restart, death)
          return;
        }
        if (failedBefore) {
          this.finish(run, 'aborted', null, now, 'a previous cell failed');
          return;
        }
        const status = await this.runOne(run, kernel, now);
        if (status !== 'ok') failedBefore = true;
      });
    }
    return this.queue.then(() => !failedBefore);
  }

  private finish(run: CellRun, status: ExecutionStatus, count: number | null, queuedAt: number, message?: string, startedAt?: number) {
    const info: ExecutionInfo = {
      status,
      execution_count: count,
      queued_at: queuedAt,
      source_digest: sourceDigest(run.source),
      ...(startedAt ? { started_at: startedAt } : {}),
      finished_at: Date.now(),
      ...(message ? { message } : {}),
    };
    this.writer.batcher.flush();
    this.writer.recordExecution(run.cellId, info);
    run.settle(info, outputsToJSON(this.results.outputsOf(run.cellId)));
  }

  private async runOne(run: CellRun, kernel: Promise<ManagedKernel>, queuedAt: number): Promise<ExecutionStatus> {
    let managed: ManagedKernel;
    try {
      managed = await kernel;
    } catch (err) {
      this.finish(run, 'error', null, queuedAt, startFailure(err));
      return 'error';
    }
    const startedAt = Date.now();
    const outputs = this.writer.outputsOf(run.cellId);
    this.writer.batcher.enqueue(() => outputs.clear(false));
    this.writer.recordExecution(run.cellId, { status: 'running', execution_count: null, queued_at: queuedAt, started_at: startedAt, source_digest: sourceDigest(run.source) });
    let request;
    try {
      request = managed.kernel.execute(run.source);
    } catch (err) {
      this.finish(run, 'error', null, queuedAt, `the kernel is not running: ${(err as Error).message}`, startedAt);
      return 'error';
    }
    const active: ActiveRun = { ...run, msgId: request.msgId, outputs };
    this.active = active;
    const offStdin = request.onStdin((msg) => this.hooks.onInputRequest(this, active, msg));
    try {
      const reply = await request.done;
      const content = reply.content;
      const count = 'execution_count' in content && typeof content.execution_count === 'number' ? content.execution_count : null;
      const status: ExecutionStatus = content.status === 'ok' ? 'ok' : content.status === 'aborted' ? 'aborted' : 'error';
      this.finish(run, status, count, queuedAt, undefined, startedAt);
      return status;
    } catch (err) {
      if (err instanceof NoReplyError) {
        // ipykernel caught an interrupt in its own code: it went idle without replying.
        this.finish(run, 'error', null, queuedAt, 'interrupted: the kernel stopped this run without a reply', startedAt);
        return 'error';
      }
      const reason = this.deathReason ?? (err as Error).message;
      this.finish(run, 'error', null, queuedAt, `kernel died: ${reason}`, startedAt);
      return 'error';
    } finally {
      offStdin();
      this.active = undefined;
      this.hooks.onRunEnd(this, active);
    }
  }

  private deathReason: string | undefined;

  /** The kernel died or restarted: the running request failed already; queued runs are aborted. */
  abortQueued(message: string): void {
    for (const run of [...this.waiting]) {
      this.waiting.delete(run);
      this.finish(run, 'aborted', null, Date.now(), message);
    }
  }

  kernelDied(reason: string): void {
    this.deathReason = reason;
    this.abortQueued(`kernel died: ${reason}`);
  }

  kernelReplaced(): void {
    this.deathReason = undefined;
  }

  get busy(): boolean {
    return this.active !== undefined || this.waiting.size > 0;
  }

  /** Listens to every iopub message of the session's kernel: the one listener (see the file's comment). */
  watch(managed: ManagedKernel): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [managed.kernel.onIopub((msg) => this.route(msg))];
  }

  private route(msg: KernelMessage): void {
    const run = this.active && parentMsgId(msg) === this.active.msgId ? this.active : undefined;
    if (this.hooks.claimIopub?.(this, msg, run)) return;
    if (run) this.writer.writeOutput(run.outputs, msg);
    else if (isMessageType(msg, 'update_display_data')) this.writer.updateDisplay(msg);
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.abortQueued('the kernel was stopped');
    this.writer.batcher.flush();
    this.target.release();
    this.log.debug({ notebook: this.key.notebookId }, 'execution session closed');
  }
}
