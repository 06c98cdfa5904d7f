// A kernel as the rest of the server sees it: one identity that survives restarts (new
// process, new sandbox, same object and listeners), its status, and its end.
import { randomUUID } from 'node:crypto';

import type { ConnectionInfo, RequestOptions } from './connection.ts';
import { TypedEmitter } from './emitter.ts';
import { ConnectionClosedError, ProtocolError } from './errors.ts';
import type { KernelSpec } from './kernelspec.ts';
import { startKernelProcess, stopKernelProcess } from './launcher.ts';
import type { KernelProcess, LaunchOptions } from './launcher.ts';
import { isMessageType } from './messages.ts';
import type { Channel, KernelMessage, MessageHeader, MsgContent, MsgType, RequestChannel, RequestType } from './messages.ts';
import { describeExit } from './process.ts';
import type { KernelRequest } from './request.ts';
import type { NotebookFilesMount } from './sandbox.ts';

export type KernelState = 'starting' | 'idle' | 'busy' | 'restarting' | 'dead';

export interface KernelEvents extends Record<string, unknown[]> {
  /** Every state change: iopub execution_state, plus restarting / dead. */
  status: [state: KernelState];
  /** The kernel ended without being asked to (process exit, lost heartbeat, failed restart). */
  dead: [reason: string];
  /** A restart finished: a fresh process answers; every request and comm of the old one is void. */
  restarted: [];
  /** Every iopub message, whichever request (or none) caused it. Survives restarts. */
  iopub: [msg: KernelMessage];
  /** Every stdin `input_request`. */
  stdin: [msg: KernelMessage<'input_request'>];
  protocolError: [error: ProtocolError, channel: Channel];
}

/** Launches a kernel from a kernelspec and resolves once it answered `kernel_info_request`. */
export async function launchKernel(options: LaunchOptions): Promise<LocalKernel> {
  const kernelId = options.kernelId ?? randomUUID();
  const proc = await startKernelProcess({ ...options, kernelId });
  return new LocalKernel(kernelId, options, proc);
}

export class LocalKernel {
  readonly spec: KernelSpec;
  private readonly events: TypedEmitter<KernelEvents>;
  private proc: KernelProcess;
  private unwire: (() => void)[] = [];
  private stateValue: KernelState = 'idle';
  private restarting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly id: string,
    private options: LaunchOptions,
    proc: KernelProcess,
  ) {
    this.spec = options.spec;
    this.events = new TypedEmitter((event, error) =>
      options.logger.error({ err: error, kernelId: id, event: String(event) }, 'kernel event listener threw'),
    );
    this.proc = proc;
    this.wire(proc);
  }

  /** The kernel process itself (inside a sandbox: its host pid). */
  get pid(): number {
    return this.proc.kernelPid;
  }
  get connectionFile(): string {
    return this.proc.connectionFile;
  }
  get connectionInfo(): ConnectionInfo {
    return this.proc.info;
  }
  /** The kernel_info_reply of the current process. */
  get kernelInfo(): KernelMessage<'kernel_info_reply'> {
    return this.proc.kernelInfo;
  }
  get state(): KernelState {
    return this.stateValue;
  }
  /** False once the kernel is dead or shut down; a restart keeps it alive. */
  get alive(): boolean {
    return this.stateValue !== 'dead' && this.stopping === undefined;
  }

  on<K extends keyof KernelEvents>(event: K, listener: (...args: KernelEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  onIopub(listener: (msg: KernelMessage) => void): () => void {
    return this.events.on('iopub', listener);
  }

  /** See KernelConnection.request. Fails with ConnectionClosedError if the kernel is gone or restarts. */
  request<T extends RequestType>(channel: RequestChannel, msgType: T, content: MsgContent[T], options?: RequestOptions): KernelRequest<T> {
    return this.proc.connection.request(channel, msgType, content, options);
  }

  /** Runs code (spec: execute_request) with the defaults a notebook front end uses. */
  execute(code: string, options: Partial<MsgContent['execute_request']> & RequestOptions = {}): KernelRequest<'execute_request'> {
    const { metadata, buffers, ...content } = options;
    return this.request(
      'shell',
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true, ...content },
      { ...(metadata ? { metadata } : {}), ...(buffers ? { buffers } : {}) },
    );
  }

  sendShell<T extends MsgType>(
    msgType: T,
    content: MsgContent[T],
    options?: RequestOptions & { parent?: KernelMessage | MessageHeader },
  ): Promise<KernelMessage<T>> {
    return this.proc.connection.sendShell(msgType, content, options);
  }

  sendStdin(content: MsgContent['input_reply'], parent?: KernelMessage | MessageHeader): Promise<void> {
    return this.proc.connection.sendStdin(content, parent);
  }

  /** Interrupts the running execution, by SIGINT or interrupt_request per the spec's interrupt_mode. */
  async interrupt(): Promise<void> {
    this.assertAlive();
    if (this.spec.interruptMode === 'message') {
      await this.request('control', 'interrupt_request', {}).reply;
      return;
    }
    // The whole group, as jupyter_client does, so subprocesses the code started stop as well.
    // The kernel leads its group in a sandbox too (bwrap --new-session); the sandbox's init would
    // not pass the signal on.
    process.kill(-this.proc.kernelPid, 'SIGINT');
  }

  /**
   * Gives a kernel that started without a home (a pooled one) its user's home: bound into its
   * sandbox (sandbox.ts says how), made its working directory; restarts start in it directly.
   */
  async assignHome(home: string, notebookFiles?: NotebookFilesMount): Promise<void> {
    this.assertAlive();
    const dir = await this.proc.sandbox.assignHome(home, notebookFiles);
    this.options = { ...this.options, home, notebookFiles };
    // Silent and out of the history: no execution count, no `_`, no name left in the user's namespace.
    const os = "__import__('os')";
    const code = `${os}.chdir(${JSON.stringify(dir)}); ${os}.environ['HOME'] = ${JSON.stringify(dir)}`;
    // Sent, not awaited: the kernel handles shell requests one after the other, so the user's first
    // cell (sent next) runs after this one, in the home; waiting for the reply would add a round
    // trip to a new user's first result. A kernel that cannot change into its home is killed, so
    // that run fails (the kernel died) rather than run somewhere else.
    const request = this.execute(code, { silent: true, store_history: false, allow_stdin: false });
    const proc = this.proc;
    const fail = (detail: string) => {
      // Stopped or restarted meanwhile (a restart starts in the home): nothing runs in the wrong place.
      if (!this.alive || this.proc !== proc) return;
      this.options.logger.error({ kernelId: this.id, detail }, 'a pool kernel could not change into its home; killing it');
      try {
        process.kill(proc.kernelPid, 'SIGKILL');
      } catch {
        // it ended on its own already; its exit is reported as usual
      }
    };
    request.reply.then(
      (reply) => {
        if (reply.content.status !== 'ok') fail(JSON.stringify(reply.content));
      },
      (error: unknown) => fail((error as Error).message),
    );
  }

  /** Stops the process and starts a fresh one (same id and listeners). */
  restart(): Promise<void> {
    this.assertAlive();
    return (this.restarting ??= this.doRestart().finally(() => {
      this.restarting = undefined;
    }));
  }

  /** Shuts the kernel down for good and removes its files. Idempotent. */
  shutdown(): Promise<void> {
    return (this.stopping ??= this.doShutdown());
  }

  private async doRestart(): Promise<void> {
    const { logger, dataDir } = this.options;
    this.setState('restarting');
    const old = this.proc;
    this.unwireAll();
    await stopKernelProcess(old, { logger, dataDir, kernelId: this.id, restart: true, graceMs: this.options.shutdownGraceMs ?? 2000 });
    if (this.stopping) return;
    try {
      this.proc = await startKernelProcess({ ...this.options, kernelId: this.id });
    } catch (error) {
      logger.error({ err: error, kernelId: this.id }, 'kernel restart failed');
      this.markDead(`restart failed: ${(error as Error).message}`);
      throw error;
    }
    if (this.stopping) {
      await stopKernelProcess(this.proc, { logger, dataDir, kernelId: this.id, graceMs: 0 });
      return;
    }
    this.wire(this.proc);
    this.setState('idle');
    this.events.emit('restarted');
  }

  private async doShutdown(): Promise<void> {
    const { logger, dataDir } = this.options;
    // A restart in flight owns the process; let it finish (it checks `stopping`) before stopping.
    if (this.restarting) await this.restarting.catch(() => undefined);
    this.unwireAll();
    await stopKernelProcess(this.proc, { logger, dataDir, kernelId: this.id, graceMs: this.options.shutdownGraceMs ?? 2000 });
    if (this.stateValue !== 'dead') this.setState('dead');
    this.events.removeAll();
  }

  private wire(proc: KernelProcess): void {
    const { connection, spawned } = proc;
    let current = true;
    this.unwire = [
      () => {
        current = false;
      },
      connection.onIopub((msg) => {
        if (isMessageType(msg, 'status')) this.setState(msg.content.execution_state === 'starting' ? 'starting' : msg.content.execution_state);
        this.events.emit('iopub', msg);
      }),
      connection.on('stdin', (msg) => this.events.emit('stdin', msg)),
      connection.on('protocolError', (error, channel) => this.events.emit('protocolError', error, channel)),
      connection.on('heartbeatLost', (missed) => {
        if (current) this.die(`heartbeat lost (${missed} pings unanswered)`, proc);
      }),
    ];
    // `exited` never rejects (process.ts).
    spawned.exited.then((exit) => {
      if (current) this.die(describeExit(exit), proc);
    }, () => undefined);
  }

  private unwireAll(): void {
    for (const off of this.unwire) off();
    this.unwire = [];
  }

  /** The current process ended on its own: report, then make sure nothing of it is left. */
  private die(reason: string, proc: KernelProcess): void {
    if (this.stopping || this.restarting || this.stateValue === 'dead') return;
    const { logger, dataDir } = this.options;
    logger.warn({ kernelId: this.id, pid: proc.pid, reason }, 'kernel died');
    this.unwireAll();
    this.markDead(reason);
    // A wedged process (lost heartbeat) may still be running; it gets no grace.
    stopKernelProcess(proc, { logger, dataDir, kernelId: this.id, graceMs: 0 }).catch((error: unknown) =>
      logger.error({ err: error, kernelId: this.id }, 'cleaning up after a dead kernel failed'),
    );
  }

  private markDead(reason: string): void {
    this.setState('dead');
    this.events.emit('dead', reason);
  }

  private setState(state: KernelState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.events.emit('status', state);
  }

  private assertAlive(): void {
    if (!this.alive) throw new ConnectionClosedError(`kernel ${this.id} is ${this.stopping ? 'shut down' : 'dead'}`);
  }
}
