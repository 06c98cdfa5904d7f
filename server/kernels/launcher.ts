// Starting and stopping one kernel process: connection file, spawn, connect, wait until it
// answers; and the orderly way down (shutdown_request, grace, SIGTERM, SIGKILL).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { KernelConnection } from './connection.ts';
import type { ConnectionInfo } from './connection.ts';
import { createConnectionInfo, kernelsDir, writeConnectionFile } from './connectionFile.ts';
import { KernelStartError } from './errors.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { Logger } from './logger.ts';
import type { KernelMessage } from './messages.ts';
import { removeKernelFiles, writeKernelRecord } from './orphans.ts';
import { describeExit, exitsWithin, signalGroup, spawnKernel } from './process.ts';
import type { SpawnedKernel } from './process.ts';

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
  kernelId?: string;
  cwd?: string;
  /** Extra environment, merged over process.env and the spec's env. */
  env?: Record<string, string>;
}

/** One running kernel process and the connection to it. A restart makes a new one. */
export interface KernelProcess {
  readonly pid: number;
  readonly connectionFile: string;
  readonly info: ConnectionInfo;
  readonly connection: KernelConnection;
  readonly kernelInfo: KernelMessage<'kernel_info_reply'>;
  readonly spawned: SpawnedKernel;
}

const START_ATTEMPTS = 3;

/** Starts a kernel process and waits until it answers; retries when a picked port was taken. */
export async function startKernelProcess(options: LaunchOptions & { kernelId: string }): Promise<KernelProcess> {
  const totalMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + totalMs;
  // One attempt may hang where a fresh one would not (a port another process took in between, a
  // socket wired to the wrong peer): an attempt that does not answer in a third of the budget
  // (at least 15 s) is stopped and the kernel started again on new ports.
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
      options.logger.warn({ kernelId: options.kernelId, attempt, err: error }, 'kernel did not start; trying again on new ports');
    }
  }
  throw new KernelStartError(`kernel ${options.kernelId} did not start within ${totalMs} ms: ${lastError?.message ?? 'no attempt finished'}`);
}

/** A start attempt failed in a way a fresh attempt on new ports may not. */
class RetryableStartError extends Error {}
/** The process died before answering; with fresh ports it may well start (ports are picked racily). */
class PortRaceError extends RetryableStartError {}
/** The process is alive but did not answer within its attempt's time. */
class StalledStartError extends RetryableStartError {}

async function startOnce(options: LaunchOptions & { kernelId: string }): Promise<KernelProcess> {
  const { spec, dataDir, logger, kernelId } = options;
  const info = await createConnectionInfo(spec.name);
  const connectionFile = join(kernelsDir(dataDir), `connection-${kernelId}-${randomUUID().slice(0, 8)}.json`);
  await writeConnectionFile(connectionFile, info);
  let spawned: SpawnedKernel;
  try {
    spawned = await spawnKernel({
      spec,
      connectionFile,
      kernelId,
      logger,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
  } catch (error) {
    await removeKernelFiles(dataDir, kernelId, connectionFile);
    throw new KernelStartError(`cannot start kernel ${spec.name} (${spec.argv[0]}): ${(error as Error).message}`, { cause: error });
  }
  const connection = new KernelConnection(info, {
    logger,
    ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    ...(options.heartbeatMaxMissed ? { heartbeatMaxMissed: options.heartbeatMaxMissed } : {}),
  });
  const partial = { pid: spawned.pid, connectionFile, info, connection, spawned };
  try {
    await writeKernelRecord(dataDir, { kernelId, pid: spawned.pid, connectionFile });
    const kernelInfo = await waitUntilReady(partial, options);
    connection.startHeartbeat();
    logger.info({ kernelId, pid: spawned.pid, spec: spec.name, implementation: kernelInfo.content.implementation_version }, 'kernel started');
    return { ...partial, kernelInfo };
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
      throw new PortRaceError(`kernel process ${proc.pid} ${describeExit(exit)} before it answered`);
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

/** Stops a kernel process for good: asks, waits, terminates, kills; then removes its files. */
export async function stopKernelProcess(
  proc: Pick<KernelProcess, 'connection' | 'spawned' | 'pid' | 'connectionFile'>,
  options: StopOptions,
): Promise<void> {
  const grace = options.graceMs ?? 2000;
  const { spawned, pid } = proc;
  if (!spawned.hasExited() && grace > 0 && !proc.connection.closed) {
    // The reply does not matter: the process exiting is the answer we wait for.
    proc.connection.request('control', 'shutdown_request', { restart: options.restart ?? false });
    await exitsWithin(spawned.exited, grace);
  }
  if (!spawned.hasExited()) {
    signalGroup(pid, 'SIGTERM');
    if (!(await exitsWithin(spawned.exited, Math.max(grace, 500)))) {
      options.logger.warn({ kernelId: options.kernelId, pid }, 'kernel ignored SIGTERM; killing it');
      signalGroup(pid, 'SIGKILL');
      await exitsWithin(spawned.exited, 5000);
    }
  }
  // Processes the kernel started may outlive it in its group; nothing of it should remain.
  signalGroup(pid, 'SIGKILL');
  await proc.connection.close('kernel shut down');
  await removeKernelFiles(options.dataDir, options.kernelId, proc.connectionFile);
}
