// A benchmark that ends early leaves no server behind (bench/lib/procs.ts `stopWithThisProcess`): a
// bench process starts a real Cohort server, then dies — by an uncaught exception or by SIGTERM —
// and the server must be gone after it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { benchDir } from '../../bench/lib/procs.ts';
import { eventually } from '../helpers/eventually.ts';

/** A bench that starts a Cohort server, prints its pid, and then `end`s. */
async function benchThatEnds(end: 'throw' | 'wait for SIGTERM'): Promise<{ serverPid: number; exit: Promise<unknown> }> {
  const dir = benchDir('cleanup');
  const script = `
    import { spawnCohort } from './bench/lib/cohort.ts';
    const cohort = await spawnCohort(${JSON.stringify(`${dir.path}/cohort`)});
    console.log('server pid', cohort.pid);
    ${end === 'throw' ? "throw new Error('the bench failed');" : 'setInterval(() => {}, 1000);'}
  `;
  const bench = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = once(bench, 'exit').finally(() => dir.remove());
  let out = '';
  bench.stdout.on('data', (d: Buffer) => (out += d.toString()));
  bench.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const serverPid = Number(await eventually(() => /server pid (\d+)/.exec(out)?.[1], { timeoutMs: 60_000, message: `the bench did not start its server: ${out}` }));
  if (end === 'wait for SIGTERM') bench.kill('SIGTERM');
  return { serverPid, exit };
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a bench that ends early', { timeout: 120_000 }, () => {
  for (const end of ['throw', 'wait for SIGTERM'] as const) {
    it(`stops the server it started (${end === 'throw' ? 'an uncaught exception' : 'SIGTERM'})`, async () => {
      const { serverPid, exit } = await benchThatEnds(end);
      await exit;
      await eventually(() => !running(serverPid), { timeoutMs: 20_000, message: `the bench's server ${serverPid} is still running` });
      assert.equal(running(serverPid), false);
    });
  }
});
