// What the kernel sandbox costs, same run: each figure for kernels in their bubblewrap sandboxes
// (the default) beside the same figure with `--kernel-sandbox none` (plain processes; the
// reference). `1+1` round trip on a warm kernel (Cohort's own kernel client: execute → reply and
// idle), kernel start (launch → kernel_info answered), a new user's first result with a warm pool
// (HTTP execute?wait=true → answer; includes binding the user's home into the pooled sandbox),
// and resident memory per additional user (server tree, once quiet). Measurements of the two
// modes alternate (for the first result, two servers run side by side and take turns), so a change
// in the machine's load hits both alike; the difference column is the median of the differences
// within each back-to-back pair, which a shared machine's swings disturb far less than the p50s.
import { join } from 'node:path';
import { projectRoot } from '../server/config.ts';
import { launchKernel } from '../server/kernels/kernel.ts';
import type { LocalKernel } from '../server/kernels/kernel.ts';
import { resolveKernelSpec } from '../server/kernels/kernelspec.ts';
import { silentLogger } from '../server/kernels/logger.ts';
import type { KernelSandbox } from '../server/kernels/sandbox.ts';
import type { SandboxMode } from '../server/kernels/sandboxSettings.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { codeCell, createNotebook, createUser, notebookOf, runAndWait, spawnCohort } from './lib/cohort.ts';
import type { SpawnedCohort } from './lib/cohort.ts';
import { newRunnerFirstResult } from './lib/trials.ts';
import { benchDir, kernelsUnder, waitFor, waitQuiet } from './lib/procs.ts';
import { benchSandbox } from './lib/sandbox.ts';
import type { Summary } from './lib/stats.ts';
import { fmt, fmtSummary, msSince, now, percentile, ratio, summarize, table } from './lib/stats.ts';
import { cohortPoints, marginal } from './memory.ts';

const MODES: SandboxMode[] = ['bwrap', 'none'];

async function roundTrip(kernel: LocalKernel): Promise<number> {
  const start = now();
  const reply = await kernel.execute('1+1').done;
  if (reply.content.status !== 'ok') throw new Error(`1+1 answered ${JSON.stringify(reply.content)}`);
  return msSince(start);
}

/** Median of `a[i] - b[i]`: the cost of the sandbox within each back-to-back pair. */
function pairedDifference(a: readonly number[], b: readonly number[]): number {
  return percentile(a.map((value, i) => value - b[i]!).sort((x, y) => x - y), 50);
}

const POOL_SIZE = 2;

/**
 * A new user's first `1+1` (HTTP execute?wait=true → answer) with a warm pool, on one server per
 * mode, both up at once and taking turns; before each trial both pools are full and every kernel
 * of both servers has settled.
 */
async function firstResults(dir: string, trials: number, progress?: (line: string) => void): Promise<Record<SandboxMode, number[]>> {
  const servers: Partial<Record<SandboxMode, { server: SpawnedCohort; owner: { token: string }; nb: string }>> = {};
  try {
    for (const mode of MODES) {
      const server = await spawnCohort(join(dir, `first-${mode}`), ['--pool-size', String(POOL_SIZE), '--kernel-sandbox', mode]);
      const owner = await createUser(server.url, 'owner');
      const nb = await createNotebook(server.url, owner.token, 'first', notebookOf([codeCell('c', '1+1')]));
      servers[mode] = { server, owner, nb };
      // The owner's run warms the server's code paths (room load, REST, session) and holds a kernel.
      await runAndWait(server.url, owner.token, nb, ['c']);
    }
    const all = () => MODES.flatMap((mode) => kernelsUnder(servers[mode]!.server.pid));
    const samples: Record<SandboxMode, number[]> = { bwrap: [], none: [] };
    for (let t = 0; t < trials; t++) {
      for (const mode of MODES) {
        const { server, owner, nb } = servers[mode]!;
        // Each earlier user holds one kernel; the pools refill beside them.
        for (const other of MODES) {
          await waitFor(() => kernelsUnder(servers[other]!.server.pid).length >= 1 + t + (other === mode || MODES.indexOf(other) > MODES.indexOf(mode) ? 0 : 1) + POOL_SIZE, 60_000, 'the pools to refill', 50);
        }
        await waitQuiet(all);
        const ms = await newRunnerFirstResult(server.url, owner.token, nb, `student${t}`);
        samples[mode].push(ms);
        progress?.(`sandbox: first result, --kernel-sandbox ${mode}, trial ${t + 1}/${trials}: ${ms.toFixed(0)} ms`);
      }
    }
    return samples;
  } finally {
    await Promise.all(MODES.flatMap((mode) => servers[mode]?.server.stop() ?? []));
  }
}

export async function sandboxBench({ quick, progress }: BenchOptions): Promise<BenchResult> {
  const starts = quick ? 2 : 12;
  const runs = quick ? 30 : 300;
  const trials = quick ? 2 : 10;
  const users = quick ? [1, 2] : [1, 6];
  const dir = benchDir('sandbox');
  const spec = await resolveKernelSpec('python3', { extraDirs: [join(projectRoot, '.jupyter')], logger: silentLogger });
  const sandboxes = {} as Record<SandboxMode, { sandbox: KernelSandbox; dataDir: string }>;
  for (const mode of MODES) {
    const dataDir = join(dir.path, `direct-${mode}`);
    sandboxes[mode] = { sandbox: await benchSandbox(dataDir, mode), dataDir };
  }
  const launch = (mode: SandboxMode) => launchKernel({ spec, logger: silentLogger, ...sandboxes[mode] });
  const kernels: LocalKernel[] = [];
  try {
    // Kernel start, alternating modes; each kernel is stopped before the next starts.
    const startMs: Record<SandboxMode, number[]> = { bwrap: [], none: [] };
    for (let i = 0; i < starts; i++) {
      for (const mode of MODES) {
        const start = now();
        const kernel = await launch(mode);
        startMs[mode].push(msSince(start));
        await kernel.shutdown();
      }
      progress?.(`sandbox: kernel starts ${i + 1}/${starts}`);
    }

    // `1+1` on one warm kernel per mode, alternating.
    const warm = { bwrap: await launch('bwrap'), none: await launch('none') };
    kernels.push(warm.bwrap, warm.none);
    await waitQuiet(() => [warm.bwrap.pid, warm.none.pid]);
    for (let i = 0; i < 20; i++) for (const mode of MODES) await roundTrip(warm[mode]);
    const roundMs: Record<SandboxMode, number[]> = { bwrap: [], none: [] };
    for (let i = 0; i < runs; i++) for (const mode of MODES) roundMs[mode].push(await roundTrip(warm[mode]));
    progress?.('sandbox: round trips done');
    await Promise.all(kernels.splice(0).map((k) => k.shutdown()));

    // Through the server: a new user's first result from the warm pool, then memory per user.
    const firstMs = await firstResults(dir.path, trials, progress);
    const memory = {} as Record<SandboxMode, number>;
    for (const mode of MODES) {
      const points = await cohortPoints(join(dir.path, `memory-${mode}`), users, progress, ['--kernel-sandbox', mode]);
      memory[mode] = marginal(points, 'total');
    }

    const start = { bwrap: summarize(startMs.bwrap), none: summarize(startMs.none) };
    const round = { bwrap: summarize(roundMs.bwrap), none: summarize(roundMs.none) };
    const first: Record<SandboxMode, Summary> = { bwrap: summarize(firstMs.bwrap), none: summarize(firstMs.none) };
    const roundDiff = pairedDifference(roundMs.bwrap, roundMs.none);
    const startDiff = pairedDifference(startMs.bwrap, startMs.none);
    const firstDiff = pairedDifference(firstMs.bwrap, firstMs.none);
    const markdown = [
      `## sandbox: kernels in bubblewrap sandboxes vs \`--kernel-sandbox none\` (same run, alternating)`,
      '',
      table(['figure', 'sandboxed (bwrap)', 'reference: --kernel-sandbox none', 'ratio of p50s', 'difference, median of pairs'], [
        [`\`1+1\` round trip on a warm kernel, p50 / p99 (${runs} each)`, fmtSummary(round.bwrap), fmtSummary(round.none), ratio(round.bwrap.p50, round.none.p50), `${fmt(roundDiff)} ms`],
        [`kernel start → kernel_info answered (${starts} each)`, fmtSummary(start.bwrap), fmtSummary(start.none), ratio(start.bwrap.p50, start.none.p50), `${fmt(startDiff)} ms`],
        [`new user's first result, warm pool of ${POOL_SIZE} (${trials} users each)`, fmtSummary(first.bwrap), fmtSummary(first.none), ratio(first.bwrap.p50, first.none.p50), `${fmt(firstDiff)} ms`],
        [`RSS per additional user (${users[0]} → ${users[1]} users)`, `${fmt(memory.bwrap)} MiB`, `${fmt(memory.none)} MiB`, ratio(memory.bwrap, memory.none), `${fmt(memory.bwrap - memory.none)} MiB`],
      ]),
      '',
    ].join('\n');
    return {
      name: 'sandbox',
      markdown,
      figures: {
        roundTripP50: round.bwrap.p50,
        roundTripNoneP50: round.none.p50,
        roundTripPairedDiff: roundDiff,
        startPairedDiff: startDiff,
        firstResultPairedDiff: firstDiff,
        startP50: start.bwrap.p50,
        startNoneP50: start.none.p50,
        firstResultP50: first.bwrap.p50,
        firstResultNoneP50: first.none.p50,
        rssPerUser: memory.bwrap,
        rssPerUserNone: memory.none,
      },
    };
  } finally {
    await Promise.all(kernels.map((k) => k.shutdown()));
    for (const mode of MODES) sandboxes[mode]?.sandbox.dispose();
    dir.remove();
  }
}

runIfMain(import.meta.url, sandboxBench);
