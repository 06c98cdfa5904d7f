// A burst: N users (30) run `import numpy; sum(range(10**5))` at the same moment in their own warm
// kernels. Figures: time until every output is visible in every user's Yjs client, each user's
// own time, and the server's event-loop delay during the burst (the server runs in this process
// so perf_hooks can watch its loop). Reference: the same burst on N kernels driven directly with
// Cohort's kernel client (no server: the kernels' own CPU contention on this machine), and the
// idle event-loop delay.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { projectRoot } from '../server/config.ts';
import { launchKernel, resolveKernelSpec, silentLogger } from '../server/kernels/index.ts';
import type { LocalKernel } from '../server/kernels/index.ts';
import { privateRoom } from '../shared/rooms.ts';
import { privateDoc } from '../shared/layout.ts';
import { connectDoc } from '../test/helpers/clients.ts';
import type { DocClient } from '../test/helpers/clients.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { profileWindow } from './lib/profile.ts';
import type { BenchUser } from './lib/cohort.ts';
import { addMember, codeCell, createNotebook, createUser, inProcessCohort, notebookOf, runAndWait, startRun } from './lib/cohort.ts';
import { benchDir, kernelsUnder, sleep, waitQuiet, withDeadline } from './lib/procs.ts';
import type { Summary } from './lib/stats.ts';
import { fmt, fmtSummary, msSince, now, ratio, summarize, table } from './lib/stats.ts';
import { benchSandbox } from './lib/sandbox.ts';

const NUMPY_CODE = 'import numpy; sum(range(10**5))';
const EXPECTED = String((10 ** 5 * (10 ** 5 - 1)) / 2);

/** Runs `task` over `items` with at most `limit` at a time (kernel starts are CPU-heavy). */
async function limited<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  }));
  return results;
}

async function directBurst(dataDir: string, n: number, progress?: (line: string) => void): Promise<{ all: number; each: Summary }> {
  const spec = await resolveKernelSpec('python3', { extraDirs: [join(projectRoot, '.jupyter')], logger: silentLogger });
  const kernels: LocalKernel[] = [];
  const sandbox = await benchSandbox(dataDir);
  try {
    progress?.(`burst: starting ${n} kernels for the direct reference`);
    await limited(Array.from({ length: n }, (_, i) => i), 4, async () => {
      kernels.push(await launchKernel({ spec, dataDir, logger: silentLogger, sandbox }));
    });
    await waitQuiet(() => kernels.map((k) => k.pid), { timeoutMs: 120_000 });
    const start = now();
    const each = await Promise.all(kernels.map((kernel) => new Promise<number>((resolve, reject) => {
      const request = kernel.execute(NUMPY_CODE);
      request.onIopub((msg) => {
        if (msg.header.msg_type !== 'execute_result') return;
        const value = (msg.content as { data: Record<string, unknown> }).data['text/plain'];
        if (value === EXPECTED) resolve(msSince(start));
        else reject(new Error(`direct kernel answered ${String(value)}`));
      });
      request.reply.catch(reject);
    })));
    return { all: msSince(start), each: summarize(each) };
  } finally {
    await Promise.all(kernels.map((k) => k.shutdown()));
  }
}

function resultVisible(client: DocClient): boolean {
  const outputs = privateDoc(client.doc).outputs.get('burst');
  const result = outputs?.toArray().find((o) => o.get('output_type') === 'execute_result');
  return (result?.get('data') as Record<string, unknown> | undefined)?.['text/plain'] === EXPECTED;
}

export async function burstBench({ quick, progress, profileDir }: BenchOptions, users?: number): Promise<BenchResult> {
  const n = users ?? (quick ? 3 : 30);
  const dir = benchDir('burst');
  const clients: DocClient[] = [];
  try {
    const direct = await directBurst(join(dir.path, 'direct'), n, progress);
    const cohort = await inProcessCohort(join(dir.path, 'cohort'), { maxKernels: n + 8, logLevel: 'error' });
    try {
      const owner = await createUser(cohort.url, 'owner');
      const nb = await createNotebook(cohort.url, owner.token, 'burst', notebookOf([codeCell('warm', '0'), codeCell('burst', NUMPY_CODE)]));
      const users: BenchUser[] = [];
      for (let i = 0; i < n; i++) {
        const user = await createUser(cohort.url, `student${i}`);
        await addMember(cohort.url, owner.token, nb, user.id, 'runner');
        users.push(user);
        clients.push(connectDoc(cohort.wsUrl, privateRoom(nb, user.id), user.token));
      }
      await Promise.all(clients.map((c) => c.synced(30_000)));
      progress?.(`burst: warming ${n} user kernels`);
      await limited(users, 4, (user) => runAndWait(cohort.url, user.token, nb, ['warm']));
      await waitQuiet(() => kernelsUnder(process.pid), { timeoutMs: 120_000 });

      const idle = monitorEventLoopDelay({ resolution: 1 });
      idle.enable();
      await sleep(2000);
      idle.disable();

      const lag = monitorEventLoopDelay({ resolution: 1 });
      const done: number[] = new Array<number>(n).fill(Number.NaN);
      const profile = profileDir ? await profileWindow(join(profileDir, 'burst.cpuprofile')) : undefined;
      lag.enable();
      const start = now();
      const pending = clients.map((client, i) => new Promise<void>((resolve) => {
        const check = () => {
          if (!resultVisible(client)) return;
          client.doc.off('afterTransaction', check);
          done[i] = msSince(start);
          resolve();
        };
        client.doc.on('afterTransaction', check);
      }));
      await Promise.all(users.map((user) => startRun(cohort.url, user.token, nb, ['burst'])));
      await withDeadline(Promise.all(pending), 180_000, 'every burst output to be visible');
      const all = msSince(start);
      lag.disable();
      const top = await profile?.stop();
      const each = summarize(done);
      const ms = (h: { percentile(p: number): number; max: number }, p: number) => (p === 100 ? h.max : h.percentile(p)) / 1e6;
      const markdown = [
        `## burst: ${n} users run \`${NUMPY_CODE}\` at once (warm kernels, ${cpus().length} cores)`,
        '',
        table(['figure', 'Cohort', 'reference', 'ratio'], [
          ['all outputs visible', `${fmt(all)} ms`, `direct ZeroMQ, ${n} kernels: ${fmt(direct.all)} ms`, ratio(all, direct.all)],
          ['each user\'s time, p50 / p99', fmtSummary(each), fmtSummary(direct.each), `${ratio(each.p50, direct.each.p50)} / ${ratio(each.p99, direct.each.p99)}`],
          ['server event-loop delay during the burst, p50 / p99 / max', `${fmt(ms(lag, 50))} / ${fmt(ms(lag, 99))} / ${fmt(ms(lag, 100))} ms`,
            `idle: ${fmt(ms(idle, 50))} / ${fmt(ms(idle, 99))} / ${fmt(ms(idle, 100))} ms`, ratio(ms(lag, 99), ms(idle, 99))],
        ]),
        '',
        ...(top ? ['Top self time in this process during the burst (profile written to burst.cpuprofile):', '',
          table(['function', 'self ms'], top.map((t) => [t.fn, fmt(t.ms)])), ''] : []),
      ].join('\n');
      return {
        name: 'burst',
        markdown,
        figures: { allMs: all, directAllMs: direct.all, eachP50: each.p50, eachP99: each.p99, lagP99Ms: ms(lag, 99), lagMaxMs: ms(lag, 100), idleLagP99Ms: ms(idle, 99) },
      };
    } finally {
      for (const c of clients) c.destroy();
      await cohort.stop();
    }
  } finally {
    dir.remove();
  }
}

runIfMain(import.meta.url, (options) => burstBench(options));
