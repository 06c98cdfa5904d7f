// The seam between the kernel manager and where kernels run. A provider starts kernels by
// kernelspec name and hands back a `Kernel`: the one interface the execution layer, widgets,
// stdin, interrupt/restart, culling and the pool use, whether the kernel is a sandboxed process
// on this machine (LocalKernel, localProvider.ts) or lives on a remote engine (RemoteKernel,
// gatewayProvider.ts).
import type { ProtocolError } from './errors.ts';
import type { Channel, KernelMessage, MessageHeader, MsgContent, MsgType, RequestChannel, RequestType } from './messages.ts';
import type { KernelRequest } from './request.ts';
import type { RequestOptions } from './router.ts';
import type { NotebookFilesMount } from './sandboxSettings.ts';

/**
 * `unreachable`: a remote kernel whose engine cannot be reached right now; requests fail at
 * once, and the kernel is looked for again until the engine answers (it may still be there).
 */
export type KernelState = 'starting' | 'idle' | 'busy' | 'restarting' | 'unreachable' | 'dead';

export interface KernelEvents extends Record<string, unknown[]> {
  /** Every state change: iopub execution_state, plus restarting / unreachable / dead. */
  status: [state: KernelState];
  /** The kernel ended without being asked to (process exit, lost heartbeat, failed restart, gone from its engine). */
  dead: [reason: string];
  /** A restart finished: a fresh process answers; every request and comm of the old one is void. */
  restarted: [];
  /** Every iopub message, whichever request (or none) caused it. Survives restarts. */
  iopub: [msg: KernelMessage];
  /** Every stdin `input_request`. */
  stdin: [msg: KernelMessage<'input_request'>];
  protocolError: [error: ProtocolError, channel: Channel];
}

/** One kernel, one identity that survives restarts (same object, same listeners). */
export interface Kernel {
  readonly id: string;
  /** The kernel process on this machine (its host pid); undefined when the kernel is remote. */
  readonly pid: number | undefined;
  readonly state: KernelState;
  /** False once the kernel is dead or shut down; a restart (or an unreachable engine) keeps it alive. */
  readonly alive: boolean;
  on<K extends keyof KernelEvents>(event: K, listener: (...args: KernelEvents[K]) => void): () => void;
  onIopub(listener: (msg: KernelMessage) => void): () => void;
  /** Sends a request on shell or control; fails with ConnectionClosedError if the kernel is gone, restarts or cannot be reached. */
  request<T extends RequestType>(channel: RequestChannel, msgType: T, content: MsgContent[T], options?: RequestOptions): KernelRequest<T>;
  /** Runs code (spec: execute_request) with the defaults a notebook front end uses. */
  execute(code: string, options?: Partial<MsgContent['execute_request']> & RequestOptions): KernelRequest<'execute_request'>;
  /** Fire-and-forget message on shell (comm_open, comm_msg, comm_close). */
  sendShell<T extends MsgType>(msgType: T, content: MsgContent[T], options?: RequestOptions & { parent?: KernelMessage | MessageHeader }): Promise<KernelMessage<T>>;
  sendStdin(content: MsgContent['input_reply'], parent?: KernelMessage | MessageHeader): Promise<void>;
  interrupt(): Promise<void>;
  /** A fresh kernel process under the same identity. */
  restart(): Promise<void>;
  /** Shuts the kernel down for good. Idempotent. */
  shutdown(): Promise<void>;
}

export interface KernelStartOptions {
  /** The kernel's working directory and HOME; unset for a pool kernel (see `adopt`). */
  home?: string | undefined;
  /** The notebook's files, seen at /notebook (local kernels only: a remote engine has no such folder). */
  notebookFiles?: NotebookFilesMount | undefined;
  /** The user the kernel is started for (a remote engine may run it as them); unset for pool and shared kernels. */
  owner?: string | undefined;
}

export interface KernelProvider {
  /** `local` (processes here) or `gateway` (a remote engine); reported in metrics and logs. */
  readonly name: 'local' | 'gateway';
  /** Starts a kernel of `specName` and resolves once it answers. */
  start(specName: string, options: KernelStartOptions): Promise<Kernel>;
  /** Makes a kernel started without a home (a pool kernel) work in `home`, seeing `notebookFiles`. */
  adopt(kernel: Kernel, home: string, notebookFiles?: NotebookFilesMount): Promise<void>;
  /** Lets go of what the provider holds (not the kernels: the manager stops those). */
  dispose(): Promise<void>;
}
