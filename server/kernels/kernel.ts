// A kernel as the rest of the server sees it: one identity that survives restarts (new
// process, new sandbox, same object and listeners), its status, and its end.
import { randomUUID } from 'node:crypto';

import type { ConnectionInfo, RequestOptions } from './connection.ts';
import type { KernelSpec } from './kernelspec.ts';
import { startKernelProcess, stopKernelProcess } from './launcher.ts';
import type { KernelProcess, LaunchOptions } from './launcher.ts';
import { isMessageType } from './messages.ts';
import type { KernelMessage, MessageHeader, MsgContent, MsgType, RequestChannel, RequestType } from './messages.ts';
import { KernelBase } from './kernelBase.ts';
import { describeExit } from './process.ts';
import type { KernelRequest } from './request.ts';
import type { NotebookFilesMount } from './sandboxSettings.ts';

export type { KernelEvents, KernelState } from './provider.ts';

/** Launches a kernel from a kernelspec and resolves once it answered `kernel_info_request`. */
export async function launchKernel(options: LaunchOptions): Promise<LocalKernel> {
  const kernelId = options.kernelId ?? randomUUID();
  const proc = await startKernelProcess({ ...options, kernelId });
  return new LocalKernel(kernelId, options, proc);
}

export class LocalKernel extends KernelBase {
  readonly spec: KernelSpec;
  private proc: KernelProcess;
  private unwire: (() => void)[] = [];

  constructor(
    id: string,
    private options: LaunchOptions,
    proc: KernelProcess,
  ) {
    super(id, options.logger, 'idle');
    this.spec = options.spec;
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
  /** See KernelConnection.request. Fails with ConnectionClosedError if the kernel is gone or restarts. */
  request<T extends RequestType>(channel: RequestChannel, msgType: T, content: MsgContent[T], options?: RequestOptions): KernelRequest<T> {
    return this.proc.connection.request(channel, msgType, content, options);
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

  protected async doRestart(): Promise<void> {
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

  protected async doShutdown(): Promise<void> {
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
}
