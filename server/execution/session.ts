// One kernel's work queue and where its results go. A session exists per kernel key
// ((notebook, user) or the notebook's shared kernel); it runs cells one at a time in order,
// turns the iopub messages of each run into outputs of the target document (the user's private
// document, or the shared document for the shared kernel), and mirrors the kernel's status there.
import * as Y from 'yjs';
import type { JSONObject, JSONValue, Output } from '../../shared/nbformat.ts';
import type { ExecutionInfo, ExecutionStatus, KernelStatus } from '../../shared/schema.ts';
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
import { outputOf } from './kernelOutput.ts';
import { CellOutputs, OutputBatcher, updateDisplayIn } from './outputs.ts';

/** Transaction origin of everything the server writes on a kernel's behalf. */
export const KERNEL_ORIGIN = Symbol('kernel');

export interface CellRun {
  cellId: string;
  source: string;
  userId: string;
  /** Called with the run's final status and its outputs once reply and idle both arrived (or it failed). */
  settle(info: ExecutionInfo, outputs: Output[]): void;
}

/** Hooks the widget bridge and stdin use; the session only routes to them. */
export interface SessionHooks {
  /** iopub messages no run of this session claims (widget callbacks, comm traffic). */
  onOtherIopub?(session: KernelSession, msg: KernelMessage): void;
  /** iopub messages of a run, before they become outputs; return true to consume one. */
  interceptIopub?(session: KernelSession, msg: KernelMessage, run: ActiveRun): boolean;
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
  /** Outputs per cell for this session's document, kept so clear/update work across runs. */
  private readonly cellOutputs = new Map<string, CellOutputs>();
  readonly batcher: OutputBatcher;
  private unsubscribe: (() => void)[] = [];

  constructor(
    readonly key: KernelKey,
    /** The document results go to: the user's private document or the shared document. */
    readonly target: RoomLease,
    private readonly hooks: SessionHooks,
    private readonly maxOutputBytes: number,
    private readonly log: Logger,
  ) {
    this.batcher = new OutputBatcher(target.room.doc, KERNEL_ORIGIN);
    this.results = resultsIn(target.room.doc, scopeOf(key));
  }

  /** Where this kernel's results go in the target document (shared/layout.ts). */
  readonly results: Results;

  get doc(): Y.Doc {
    return this.target.room.doc;
  }

  outputsOf(cellId: string): CellOutputs {
    let outputs = this.cellOutputs.get(cellId);
    const array = this.results.ensureOutputs(cellId);
    if (!outputs || outputs.outputs !== array) {
      outputs = new CellOutputs(array, { maxBytes: this.maxOutputBytes });
      this.cellOutputs.set(cellId, outputs);
    }
    return outputs;
  }

  setExecution(cellId: string, info: ExecutionInfo): void {
    this.doc.transact(() => this.results.recordExecution(cellId, info), KERNEL_ORIGIN);
  }

  setKernelStatus(status: KernelStatus, extra: Record<string, unknown> = {}): void {
    this.doc.transact(() => {
      const kernel = this.results.kernel;
      if (kernel.get('status') !== status) kernel.set('status', status);
      for (const [k, v] of Object.entries(extra)) kernel.set(k, v);
    }, KERNEL_ORIGIN);
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
      this.setExecution(run.cellId, { status: 'queued', execution_count: null, queued_at: now });
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
    this.batcher.flush();
    this.setExecution(run.cellId, info);
    run.settle(info, outputsToJSON(this.results.outputsOf(run.cellId)));
  }

  private async runOne(run: CellRun, kernel: Promise<ManagedKernel>, queuedAt: number): Promise<ExecutionStatus> {
    let managed: ManagedKernel;
    try {
      managed = await kernel;
    } catch (err) {
      const message = `the kernel could not be started: ${(err as Error).message}`;
      this.setKernelStatus('dead', { message });
      this.finish(run, 'error', null, queuedAt, message);
      return 'error';
    }
    const startedAt = Date.now();
    const outputs = this.outputsOf(run.cellId);
    this.batcher.enqueue(() => outputs.clear(false));
    this.setExecution(run.cellId, { status: 'running', execution_count: null, queued_at: queuedAt, started_at: startedAt, source_digest: sourceDigest(run.source) });
    let request;
    try {
      request = managed.kernel.execute(run.source);
    } catch (err) {
      this.finish(run, 'error', null, queuedAt, `the kernel is not running: ${(err as Error).message}`, startedAt);
      return 'error';
    }
    const active: ActiveRun = { ...run, msgId: request.msgId, outputs };
    this.active = active;
    const offIopub = request.onIopub((msg) => this.handleRunIopub(active, msg));
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
      offIopub();
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

  get activeRun(): ActiveRun | undefined {
    return this.active;
  }

  /** Watches every iopub message of the kernel (for messages no run claims). */
  watch(managed: ManagedKernel): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [
      managed.kernel.onIopub((msg) => {
        const parent = parentMsgId(msg);
        if (this.active && parent === this.active.msgId) return; // the run's own listener has it
        if (isMessageType(msg, 'update_display_data')) {
          this.updateDisplay(msg.content.transient.display_id, msg.content.data, msg.content.metadata);
          return;
        }
        this.hooks.onOtherIopub?.(this, msg);
      }),
    ];
  }

  private handleRunIopub(run: ActiveRun, msg: KernelMessage): void {
    if (this.hooks.interceptIopub?.(this, msg, run)) return;
    this.writeOutput(run.outputs, msg);
  }

  /** Turns one iopub message into an output change of `outputs` (batched). */
  writeOutput(outputs: CellOutputs, msg: KernelMessage): void {
    if (isMessageType(msg, 'clear_output')) {
      const wait = msg.content.wait;
      this.batcher.enqueue(() => outputs.clear(wait));
      return;
    }
    if (isMessageType(msg, 'update_display_data')) {
      this.updateDisplay(msg.content.transient.display_id, msg.content.data, msg.content.metadata);
      return;
    }
    const output = outputOf(msg);
    if (!output) return;
    if (output.output_type === 'stream') {
      const { name, text } = output;
      this.batcher.enqueue(() => outputs.appendStream(name, text as string));
    } else {
      this.batcher.enqueue(() => outputs.add(output));
    }
  }

  /** `update_display_data` may target an output of any cell of this document. */
  private updateDisplay(displayId: string, data: Record<string, JSONValue>, metadata: JSONObject): void {
    this.batcher.enqueue(() => {
      for (const outputs of this.results.allOutputs()) updateDisplayIn(outputs, displayId, data, metadata);
    });
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.abortQueued('the kernel was stopped');
    this.batcher.flush();
    this.target.release();
    this.log.debug({ notebook: this.key.notebookId }, 'execution session closed');
  }
}
