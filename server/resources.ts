// What the server opens before it builds anything: the store, the kernel sandbox (tried out while
// the store opens) and, with --kernel-gateway-url, the gateway. A start that fails on one of them
// closes what it had opened: a refused start leaves nothing behind.
import { join } from 'node:path';
import type { Config } from './config.ts';
import { createSandbox } from './kernelSetup.ts';
import { GatewayKernelProvider } from './kernels/gatewayProvider.ts';
import type { KernelSandbox } from './kernels/sandbox.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { openLevelStore } from './store/level.ts';
import type { Store } from './store/types.ts';

export interface Resources {
  store: Store;
  sandbox: KernelSandbox;
  /** With --kernel-gateway-url every kernel runs on that engine. */
  gateway: GatewayKernelProvider | undefined;
}

export async function openResources(config: Config, log: Logger, metrics: Metrics): Promise<Resources> {
  // Trying out the sandbox takes a moment (a trial sandbox, cgroup detection): it goes on while the
  // store opens. A server that cannot isolate kernels as configured refuses to start.
  const sandboxReady = createSandbox(config, log);
  sandboxReady.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  let store: Store;
  try {
    store = await openLevelStore(join(config.dataDir, 'db'), { compactAfter: config.compactAfter, log, metrics });
  } catch (error) {
    (await sandboxReady.catch(() => undefined))?.dispose();
    throw error;
  }
  let sandbox: KernelSandbox;
  // A gateway the server cannot reach stops the start here.
  let gateway: GatewayKernelProvider | undefined;
  try {
    sandbox = await sandboxReady;
    if (config.kernelGatewayUrl) {
      gateway = await GatewayKernelProvider.connect({
        url: config.kernelGatewayUrl,
        token: config.kernelGatewayToken,
        logger: log,
        startTimeoutMs: config.kernelStartTimeoutMs,
      }).catch((error: unknown) => {
        sandbox.dispose();
        throw error;
      });
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  return { store, sandbox, gateway };
}
