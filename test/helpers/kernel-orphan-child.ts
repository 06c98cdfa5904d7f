// Run as a separate Node process by the orphan test: starts one kernel with the real launcher,
// prints its pid as a JSON line, then waits to be SIGKILLed (leaving the kernel orphaned).
import { launchKernel } from '../../server/kernels/kernel.ts';
import { silentLogger } from '../../server/kernels/logger.ts';
import { python3Spec } from './kernel.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: kernel-orphan-child.ts <dataDir>');
const kernel = await launchKernel({ spec: await python3Spec(silentLogger), dataDir, logger: silentLogger });
process.stdout.write(`${JSON.stringify({ pid: kernel.pid, connectionFile: kernel.connectionFile })}\n`);
// Stay alive until killed; the test ends this process, never this script itself.
setInterval(() => undefined, 60_000);
