// The default kernel provider: kernels are processes on this machine, each in its own sandbox
// (sandbox.ts), started from the kernelspecs found here.
import { launchKernel, LocalKernel } from './kernel.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { KernelTuning } from './launcher.ts';
import type { Logger } from './logger.ts';
import type { Kernel, KernelProvider, KernelStartOptions } from './provider.ts';
import type { KernelSandbox } from './sandbox.ts';
import type { NotebookFilesMount } from './sandboxSettings.ts';

export interface LocalProviderOptions extends KernelTuning {
  dataDir: string;
  logger: Logger;
  sandbox: KernelSandbox;
  resolveSpec: (name: string) => Promise<KernelSpec>;
}

export class LocalKernelProvider implements KernelProvider {
  readonly name = 'local';

  constructor(private readonly options: LocalProviderOptions) {}

  async start(specName: string, { home, notebookFiles }: KernelStartOptions): Promise<LocalKernel> {
    const { dataDir, logger, sandbox, resolveSpec, ...tuning } = this.options;
    const spec = await resolveSpec(specName);
    return launchKernel({ spec, dataDir, logger, sandbox, home, notebookFiles, ...pickTuning(tuning) });
  }

  async adopt(kernel: Kernel, home: string, notebookFiles?: NotebookFilesMount): Promise<void> {
    if (!(kernel instanceof LocalKernel)) throw new Error(`kernel ${kernel.id} was not started by the local provider`);
    await kernel.assignHome(home, notebookFiles);
  }

  async dispose(): Promise<void> {
    // Nothing of its own: the sandbox belongs to the server, the kernels to the manager.
  }
}

function pickTuning(options: KernelTuning): KernelTuning {
  const keys = ['startTimeoutMs', 'startRetryMs', 'heartbeatIntervalMs', 'heartbeatMaxMissed', 'shutdownGraceMs'] as const;
  const tuning: KernelTuning = {};
  for (const k of keys) if (options[k] !== undefined) tuning[k] = options[k];
  return tuning;
}
