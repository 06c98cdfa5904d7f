// One request to a kernel and everything it causes (JupyterLab's "future"): the reply on its
// channel, the iopub messages whose parent is the request, and stdin prompts it triggers.
// Spec: a request is finished when its reply AND the iopub `status: idle` with it as parent arrived;
// the two come over different sockets, in either order.
import { NoReplyError, ProtocolError } from './errors.ts';
import { isMessageType } from './messages.ts';
import type { KernelMessage, ReplyOf, RequestType } from './messages.ts';

export type IopubListener = (msg: KernelMessage) => void;
export type StdinListener = (msg: KernelMessage<'input_request'>) => void;

export interface KernelRequest<T extends RequestType = RequestType> {
  readonly msgId: string;
  /** The message as sent; use it as `parent` for replies to this request (e.g. stdin). */
  readonly message: KernelMessage<T>;
  /**
   * The reply (e.g. `execute_reply`; check `content.status`). Rejects with ConnectionClosedError if
   * the connection closes first, or NoReplyError if the kernel went idle and no reply followed.
   */
  readonly reply: Promise<KernelMessage<ReplyOf[T]>>;
  /** The reply, once iopub `status: idle` for this request has arrived as well. */
  readonly done: Promise<KernelMessage<ReplyOf[T]>>;
  /** Iopub messages whose parent is this request, in arrival order (status messages included). */
  onIopub(listener: IopubListener): () => void;
  /** `input_request`s this request triggered on the stdin channel. */
  onStdin(listener: StdinListener): () => void;
}

/** What the connection's receive loops need from a pending request, whatever its type. */
export interface RequestRoute {
  readonly msgId: string;
  handleReply(msg: KernelMessage): void;
  handleIopub(msg: KernelMessage): void;
  handleStdin(msg: KernelMessage<'input_request'>): void;
  fail(error: Error): void;
}

/** The connection-side half of a request: fed by the receive loops, settled by them. */
export class PendingRequest<T extends RequestType> implements KernelRequest<T>, RequestRoute {
  readonly msgId: string;
  readonly reply: Promise<KernelMessage<ReplyOf[T]>>;
  readonly done: Promise<KernelMessage<ReplyOf[T]>>;
  private readonly iopubListeners = new Set<IopubListener>();
  private readonly stdinListeners = new Set<StdinListener>();
  private resolveReply!: (msg: KernelMessage<ReplyOf[T]>) => void;
  private rejectReply!: (error: Error) => void;
  private resolveDone!: (msg: KernelMessage<ReplyOf[T]>) => void;
  private rejectDone!: (error: Error) => void;
  private replyMsg: KernelMessage<ReplyOf[T]> | undefined;
  private idle = false;
  private settled = false;
  private noReplyTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly message: KernelMessage<T>,
    private readonly replyType: ReplyOf[T],
    private readonly onSettled: (request: RequestRoute) => void,
    private readonly onListenerError: (error: unknown) => void,
    /** How long a reply may trail the idle status (they travel on different sockets). */
    private readonly missingReplyGraceMs = 3000,
  ) {
    this.msgId = message.header.msg_id;
    this.reply = new Promise((resolve, reject) => {
      this.resolveReply = resolve;
      this.rejectReply = reject;
    });
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers often await only one of the two promises (fire-and-forget comm requests, or only
    // `done`); the error still reaches whoever awaits, but must not crash the process as unhandled.
    this.reply.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  onIopub(listener: IopubListener): () => void {
    this.iopubListeners.add(listener);
    return () => this.iopubListeners.delete(listener);
  }

  onStdin(listener: StdinListener): () => void {
    this.stdinListeners.add(listener);
    return () => this.stdinListeners.delete(listener);
  }

  handleReply(msg: KernelMessage): void {
    if (this.settled || this.replyMsg) return;
    if (!isMessageType(msg, this.replyType)) {
      this.fail(new ProtocolError(`expected ${this.replyType} to ${this.message.header.msg_type}, got ${msg.header.msg_type}`));
      return;
    }
    this.replyMsg = msg;
    clearTimeout(this.noReplyTimer);
    this.resolveReply(msg);
    this.maybeDone();
  }

  handleIopub(msg: KernelMessage): void {
    if (this.settled) return;
    for (const listener of [...this.iopubListeners]) this.call(() => listener(msg));
    if (isMessageType(msg, 'status') && msg.content.execution_state === 'idle') {
      this.idle = true;
      this.maybeDone();
      // The kernel sends a reply before its idle status; one still missing after the grace
      // period was never sent, and waiting longer would leave the request pending forever.
      if (!this.replyMsg && !this.noReplyTimer) {
        this.noReplyTimer = setTimeout(
          () => this.fail(new NoReplyError(`kernel went idle without replying to ${this.message.header.msg_type} ${this.msgId}`)),
          this.missingReplyGraceMs,
        );
        this.noReplyTimer.unref();
      }
    }
  }

  handleStdin(msg: KernelMessage<'input_request'>): void {
    if (this.settled) return;
    for (const listener of [...this.stdinListeners]) this.call(() => listener(msg));
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectReply(error);
    this.rejectDone(error);
    this.cleanup();
  }

  private maybeDone(): void {
    if (!this.replyMsg || !this.idle || this.settled) return;
    this.settled = true;
    this.resolveDone(this.replyMsg);
    this.cleanup();
  }

  private cleanup(): void {
    clearTimeout(this.noReplyTimer);
    this.iopubListeners.clear();
    this.stdinListeners.clear();
    this.onSettled(this);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onListenerError(error);
    }
  }
}
