// A start attempt that hangs (alive, never answering) is stopped and the kernel started again on
// new ports, within the overall start timeout.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { launchKernel } from '../../server/kernels/kernel.ts';
import { eventually } from '../helpers/eventually.ts';
import { captureLogger, processGone, python3Spec, tempDataDir } from '../helpers/kernel.ts';

it('stops a start attempt that never answers and starts the kernel again', { timeout: 90_000 }, async (t) => {
  const logger = captureLogger();
  const spec = await python3Spec(logger);
  const dataDir = await tempDataDir(t);
  const marker = join(dataDir, 'first-attempt-hangs');
  // First start: a process that lives but never speaks; second start: the real kernel.
  const script = `if [ -e '${marker}' ]; then exec ${spec.argv.map((a) => (a === '{connection_file}' ? '"$0"' : `'${a}'`)).join(' ')}; else echo $$ > '${marker}'; exec sleep 600; fi`;
  const hanging = { ...spec, argv: ['/bin/sh', '-c', script, '{connection_file}'] };
  const kernel = await launchKernel({ spec: hanging, dataDir, logger, startTimeoutMs: 45_000 });
  t.after(() => kernel.shutdown());
  const reply = await kernel.execute('1+1').done;
  assert.equal(reply.content.status, 'ok');
  assert.ok(logger.entries.some((e) => e.msg === 'kernel did not start; trying again on new ports'));
  const hungPid = Number(readFileSync(marker, 'utf8').trim());
  assert.ok(hungPid > 0);
  await eventually(() => processGone(hungPid), { timeoutMs: 10_000, message: 'the hanging attempt was left running' });
});
