// Run as a separate Node process by the orphan test: starts one kernel with the real launcher (in
// the sandbox mode given), has it start a `setsid` child, prints what the test needs as a JSON
// line, then waits to be SIGKILLed (leaving the kernel orphaned, or taking it along).
import { launchKernel } from '../../server/kernels/kernel.ts';
import { silentLogger } from '../../server/kernels/logger.ts';
import { python3Spec, testSandbox } from './kernel.ts';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir || (mode !== 'bwrap' && mode !== 'none')) throw new Error('usage: kernel-orphan-child.ts <dataDir> bwrap|none');
const sandbox = await testSandbox(dataDir, silentLogger, { mode });
// No home: a pool kernel's scratch home, which in a sandbox is a shared mount to be cleaned up.
const kernel = await launchKernel({ spec: await python3Spec(silentLogger), dataDir, logger: silentLogger, sandbox });
const reply = await kernel.execute("import subprocess; subprocess.Popen(['sleep', '1000'], start_new_session=True)").reply;
if (reply.content.status !== 'ok') throw new Error('the kernel could not start its child');
process.stdout.write(`${JSON.stringify({ id: kernel.id, pid: kernel.pid, connectionFile: kernel.connectionFile })}\n`);
// Stay alive until killed; the test ends this process, never this script itself.
setInterval(() => undefined, 60_000);
