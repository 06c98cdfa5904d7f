// The kernel side of start-up, built from a Config: the sandbox (tried out, its limits logged),
// kernelspec lookup by name, and the kernels' Jupyter data dirs where widget front ends live.
import { join } from 'node:path';
import type { Config } from './config.ts';
import { projectRoot } from './config.ts';
import { KernelSpecNotFoundError } from './kernels/errors.ts';
import type { KernelSpec } from './kernels/kernelspec.ts';
import { findKernelSpecs } from './kernels/kernelspec.ts';
import { formatBytes } from './kernels/limits.ts';
import { KernelSandbox } from './kernels/sandbox.ts';
import type { Logger } from './log.ts';
import { widgetDataDirs } from './widgets/dataDirs.ts';

export async function createSandbox(config: Config, log: Logger): Promise<KernelSandbox> {
  const sandbox = await KernelSandbox.create(
    config.dataDir,
    {
      mode: config.kernelSandbox,
      network: config.kernelNetwork,
      kernelUser: config.kernelUser,
      limits: { memoryBytes: config.kernelMemoryBytes, maxProcesses: config.kernelMaxProcesses },
      readOnlyPaths: [join(projectRoot, '.python'), ...config.kernelReadOnlyPaths],
      bwrapPath: config.bwrapPath,
    },
    log,
  );
  const limits = {
    memory: config.kernelMemoryBytes > 0 ? formatBytes(config.kernelMemoryBytes) : 'no limit',
    processes: config.kernelMaxProcesses > 0 ? config.kernelMaxProcesses : 'no limit',
    enforcedBy: sandbox.limitEnforcement,
  };
  if (sandbox.mode === 'none') {
    log.warn({ limits }, 'kernel sandbox is off (--kernel-sandbox none): kernels are not isolated from each other, from the server or from its data');
  } else {
    log.info({ network: config.kernelNetwork, limits }, 'every kernel runs in its own bubblewrap sandbox');
  }
  if (sandbox.limitEnforcement === 'none') log.warn('kernel memory and process limits are not enforced here: neither cgroups nor prlimit are available');
  return sandbox;
}

/**
 * The kernels' Jupyter data dirs, where widget libraries keep their front ends: found once from
 * the kernelspecs, and again — at most every 30 s — when a module is not in them (a library
 * installed meanwhile).
 */
export function frontendDirs(config: Config, log: Logger): (fresh: boolean) => Promise<readonly string[]> {
  let dirs: Promise<readonly string[]> | undefined;
  let foundAt = 0;
  return (fresh) => {
    if (!dirs || (fresh && Date.now() - foundAt > 30_000)) {
      foundAt = Date.now();
      dirs = findKernelSpecs({ extraDirs: config.kernelSpecDirs, logger: log })
        .then((specs) => widgetDataDirs(specs.values(), { extraDirs: config.widgetDataDirs }))
        .catch((err: unknown) => {
          log.warn({ err }, 'finding the kernels\' Jupyter data dirs failed; only --widget-data-dirs are searched');
          return widgetDataDirs([], { extraDirs: config.widgetDataDirs });
        });
    }
    return dirs;
  };
}

/** Kernelspecs are discovered once (it may run `jupyter kernelspec list`) and again on a miss. */
export function kernelSpecResolver(config: Config, log: Logger): (name: string) => Promise<KernelSpec> {
  const discover = () => findKernelSpecs({ extraDirs: config.kernelSpecDirs, logger: log });
  let specs: Promise<Map<string, KernelSpec>> | undefined;
  return async (name) => {
    specs ??= discover();
    let spec = (await specs).get(name);
    if (!spec) {
      specs = discover();
      spec = (await specs).get(name);
    }
    if (!spec) throw new KernelSpecNotFoundError(name);
    return spec;
  };
}
