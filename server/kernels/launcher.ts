// Starting and stopping one kernel process: its sandbox, connection file, spawn, connect, wait
// until it answers; and the orderly way down (shutdown_request, grace, SIGTERM, SIGKILL), after
// which nothing of it is left: processes, cgroup, mounts, directory, record.
import { KernelConnection } from './connection.ts';
import type { ConnectionInfo } from './connection.ts';
import { KernelStartError } from './errors.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { Logger } from './logger.ts';
import type { KernelMessage } from './messages.ts';
import { removeKernelRecord, writeKernelRecord } from './orphans.ts';
import { describeExit, exitsWithin, signalGroup, spawnKernel } from './process.ts';
import type { SpawnedKernel } from './process.ts';
import type { PreparedKernel } from './preparedKernel.ts';
import type { KernelSandbox } from './sandbox.ts';
import type { NotebookFilesMount } from './sandboxSettings.ts';

export interface KernelTuning {
  /** How long a new kernel may take to answer kernel_info_request. Default 30 s. */
  startTimeoutMs?: number;
  /** Time between kernel_info_request attempts while starting. Default 500 ms. */
  startRetryMs?: number;
  heartbeatIntervalMs?: number;
  heartbeatMaxMissed?: number;
  /** Wait after shutdown_request before SIGTERM, and again before SIGKILL. Default 2 s. */
  shutdownGraceMs?: number;
}

export interface LaunchOptions extends KernelTuning {
  spec: KernelSpec;
  dataDir: string;
  logger: Logger;
  /** Where and how the kernel runs (see sandbox.ts). */
  sandbox: KernelSandbox;
  kernelId?: string;
  /**
   * The kernel's home: working directory and HOME. Unset: a scratch home that
   * LocalKernel.assignHome can later cover with a user's home (pool kernels).
   */
  home?: string | undefined;
  /** The notebook's files, shown at /notebook (set with `home`; a pool kernel gets them with its home). */
  notebookFiles?: NotebookFilesMount | undefined;
}

/** One running kernel process and the connection to it. A restart makes a new one. */
export interface KernelProcess {
  /** The process the server started: the sandbox (bwrap), or the kernel itself without one. */
  readonly pid: number;
  /** The kernel process itself (its host pid), which interrupts are sent to. */
  readonly kernelPid: number;
  readonly connectionFile: string;
  readonly info: ConnectionInfo;
  readonly connection: KernelConnection;
  readonly kernelInfo: KernelMessage<'kernel_info_reply'>;
  readonly spawned: SpawnedKernel;
  readonly sandbox: PreparedKernel;
}

const START_ATTEMPTS = 3;

/** Starts a kernel process and waits until it answers; retries an attempt that died or stalled. */
export async function startKernelProcess(options: LaunchOptions & { kernelId: string }): Promise<KernelProcess> {
  const totalMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + totalMs;
  // One attempt may hang where a fresh one would not (a socket wired wrongly, a start-up that
  // lost a race on a busy machine): an attempt that does not answer in a third of the budget (at
  // least 15 s) is stopped and the kernel started again.
  const attemptMs = Math.max(15_000, Math.floor(totalMs / START_ATTEMPTS));
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      return await startOnce({ ...options, startTimeoutMs: Math.min(attemptMs, remaining) });
    } catch (error) {
      if (!(error instanceof RetryableStartError)) throw error;
      lastError = error;
      options.logger.warn({ kernelId: options.kernelId, attempt, err: error }, 'kernel did not start; trying again');
    }
  }
  throw new KernelStartError(`kernel ${options.kernelId} did not start within ${totalMs} ms: ${lastError?.message ?? 'no attempt finished'}`);
}

/** A start attempt failed in a way a fresh attempt may not. */
class RetryableStartError extends Error {}
/** The process died before answering. */
class ExitedEarlyError extends RetryableStartError {}
/** The process is alive but did not answer within its attempt's time. */
class StalledStartError extends RetryableStartError {}

async function startOnce(options: LaunchOptions & { kernelId: string }): Promise<KernelProcess> {
  const { spec, dataDir, logger, kernelId, sandbox } = options;
  const plan = sandbox.plan();
  // The record comes first: a crash from here on leaves nothing the next start cannot find.
  const record = { kernelId, kernelDir: plan.kernelDir, cgroup: plan.cgroup };
  await writeKernelRecord(dataDir, { ...record, pid: null });
  let prepared: PreparedKernel;
  try {
    prepared = await sandbox.prepare(plan, spec, options.home, options.notebookFiles);
  } catch (error) {
    await removeKernelRecord(dataDir, kernelId);
    throw new KernelStartError(`cannot prepare kernel ${spec.name}: ${(error as Error).message}`, { cause: error });
  }
  let spawned: SpawnedKernel;
  try {
    spawned = await spawnKernel({ ...prepared.spawnOptions(), kernelId, logger });
  } catch (error) {
    await prepared.release();
    await removeKernelRecord(dataDir, kernelId);
    throw new KernelStartError(`cannot start kernel ${spec.name} (${spec.argv[0]}): ${(error as Error).message}`, { cause: error });
  }
  // Its exit, as people should read it (a signal, out of memory), is what the kernel reports.
  const rawExit = spawned.exited;
  spawned = { ...spawned, exited: rawExit.then((exit) => prepared.describe(exit)) };
  const connection = new KernelConnection(prepared.info, {
    logger,
    ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    ...(options.heartbeatMaxMissed ? { heartbeatMaxMissed: options.heartbeatMaxMissed } : {}),
  });
  const partial = { pid: spawned.pid, connectionFile: prepared.connectionFile, info: prepared.info, connection, spawned, sandbox: prepared };
  try {
    await writeKernelRecord(dataDir, { ...record, pid: spawned.pid });
    const kernelInfo = await waitUntilReady(partial, options);
    const kernelPid = await prepared.kernelPid(spawned);
    await writeKernelRecord(dataDir, { ...record, pid: spawned.pid, kernelPid });
    connection.startHeartbeat();
    logger.info({ kernelId, pid: kernelPid, spec: spec.name, sandbox: sandbox.mode, implementation: kernelInfo.content.implementation_version }, 'kernel started');
    return { ...partial, kernelPid, kernelInfo };
  } catch (error) {
    await stopKernelProcess(partial, { ...options, graceMs: 0 });
    throw error;
  }
}

/**
 * Repeats kernel_info_request until one is done: its reply AND its iopub idle arrived. Waiting
 * for the idle too proves the iopub subscription is live (ZeroMQ's slow-joiner problem), so the
 * first real request cannot lose its outputs.
 */
async function waitUntilReady(
  proc: Pick<KernelProcess, 'connection' | 'spawned' | 'pid'>,
  options: LaunchOptions & { kernelId: string },
): Promise<KernelMessage<'kernel_info_reply'>> {
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const retryMs = options.startRetryMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  let ready: KernelMessage<'kernel_info_reply'> | undefined;
  let onReady: () => void = () => undefined;
  const anyReady = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  let exited = false;
  const exitedSignal = proc.spawned.exited.then((exit) => {
    exited = true;
    return exit;
  });
  while (!ready) {
    if (exited) {
      const exit = await exitedSignal;
      throw new ExitedEarlyError(`kernel process ${proc.pid} ${describeExit(exit)} before it answered`);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new StalledStartError(`kernel process ${proc.pid} did not answer kernel_info_request within ${timeoutMs} ms`);
    const request = proc.connection.request('shell', 'kernel_info_request', {});
    request.done.then(
      (reply) => {
        ready ??= reply;
        onReady();
      },
      (error: unknown) => options.logger.debug({ err: error, kernelId: options.kernelId }, 'kernel_info_request ended without a reply'),
    );
    await exitsWithin(Promise.race([anyReady, exitedSignal]), Math.min(retryMs, remaining));
  }
  return ready;
}

export interface StopOptions {
  logger: Logger;
  dataDir: string;
  kernelId: string;
  graceMs?: number;
  restart?: boolean;
}

/** Stops a kernel process for good: asks, waits, terminates, kills; then removes all it had. */
export async function stopKernelProcess(
  proc: Pick<KernelProcess, 'connection' | 'spawned' | 'pid' | 'sandbox'> & { kernelPid?: number },
  options: StopOptions,
): Promise<void> {
  const grace = options.graceMs ?? 2000;
  const { spawned, pid } = proc;
  // Signals go to the kernel's own process group first: in a sandbox its init then reaps it and
  // exits. Killed together with the init instead, it would be left to the host's init to reap.
  const kernelGroup = proc.kernelPid ?? pid;
  if (!spawned.hasExited() && grace > 0 && !proc.connection.closed) {
    // The reply does not matter: the process exiting is the answer we wait for.
    proc.connection.request('control', 'shutdown_request', { restart: options.restart ?? false });
    await exitsWithin(spawned.exited, grace);
  }
  if (!spawned.hasExited()) {
    signalGroup(kernelGroup, 'SIGTERM');
    if (!(await exitsWithin(spawned.exited, Math.max(grace, 500)))) {
      options.logger.warn({ kernelId: options.kernelId, pid: kernelGroup }, 'kernel ignored SIGTERM; killing it');
      signalGroup(kernelGroup, 'SIGKILL');
      if (!(await exitsWithin(spawned.exited, 1000))) signalGroup(pid, 'SIGKILL');
      await exitsWithin(spawned.exited, 5000);
    }
  }
  // Processes the kernel started may outlive it in its group or its cgroup; nothing of it should remain.
  signalGroup(pid, 'SIGKILL');
  await proc.connection.close('kernel shut down');
  try {
    await proc.sandbox.release();
  } catch (error) {
    // The record stays, so the next start of the server tries again.
    options.logger.error({ err: error, kernelId: options.kernelId }, 'could not remove all a stopped kernel had');
    return;
  }
  await removeKernelRecord(options.dataDir, options.kernelId);
}
