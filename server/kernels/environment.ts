// The environment a kernel process starts with. Built from nothing rather than from the server's
// own environment, which holds what no kernel may see (COHORT_ADMIN_TOKEN, every COHORT_* setting,
// whatever else the server was started with): the kernelspec's `env`, plus what a Python kernel
// needs to find itself and write files.
import type { KernelSpec } from './kernelspec.ts';

/** PATH of a sandboxed kernel: the directories of the read-only /usr it sees. */
export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface KernelEnvironmentOptions {
  spec: KernelSpec;
  /** The kernel's home as the kernel sees it (its working directory too). */
  home: string;
  /** The kernel's own temporary directory as the kernel sees it. */
  tmpDir: string;
  /** PATH when the kernelspec sets none. */
  path: string;
  /** LANG when known (a locale name is no secret); C.UTF-8 otherwise. */
  lang?: string | undefined;
}

export function kernelEnvironment(options: KernelEnvironmentOptions): Record<string, string> {
  const { spec, home, tmpDir } = options;
  return {
    PATH: options.path,
    LANG: options.lang || 'C.UTF-8',
    // The kernelspec may set PATH or LANG (a conda kernel does), but not where home and /tmp are.
    ...spec.env,
    HOME: home,
    TMPDIR: tmpDir,
    // IPython keeps its profile (history, startup files) in the kernel's own /tmp: a pooled kernel
    // starts before its user's home is mounted, so a profile in the home would be read by some
    // kernels and not others. Each kernel behaves the same, whether it came from the pool or not.
    IPYTHONDIR: `${tmpDir}/.ipython`,
  };
}
