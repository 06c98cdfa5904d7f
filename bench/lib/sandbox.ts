// The kernel sandbox a benchmark's directly launched kernels run in: the server's own defaults
// (bubblewrap, unless `mode` says none), so the floor they measure is the floor Cohort's kernels have.
import { join } from 'node:path';
import { projectRoot } from '../../server/config.ts';
import { silentLogger } from '../../server/kernels/logger.ts';
import { KernelSandbox } from '../../server/kernels/sandbox.ts';
import { DEFAULT_SANDBOX_SETTINGS } from '../../server/kernels/sandboxSettings.ts';
import type { SandboxMode } from '../../server/kernels/sandboxSettings.ts';

export function benchSandbox(dataDir: string, mode: SandboxMode = 'bwrap'): Promise<KernelSandbox> {
  return KernelSandbox.create(dataDir, { ...DEFAULT_SANDBOX_SETTINGS, mode, readOnlyPaths: [join(projectRoot, '.python')] }, silentLogger);
}
