// Time to first result for a new user: from their first `execute?wait=true` until the answer
// holds `2`, with Cohort's warm pool and without; reference: Jupyter Server `POST /api/kernels`,
// kernel WebSocket, first `execute_result`. Between trials the pool is let refill and settle, so
// every pooled trial really meets a warm kernel.
import { join } from 'node:path';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { codeCell, createNotebook, createUser, notebookOf, runAndWait, spawnCohort } from './lib/cohort.ts';
import { startJupyter } from './lib/jupyter.ts';
import { newRunnerFirstResult } from './lib/trials.ts';
import { benchDir, kernelsUnder, processTree, sleep, waitFor, waitQuiet } from './lib/procs.ts';
import type { Summary } from './lib/stats.ts';
import { fmtSummary, msSince, now, ratio, summarize, table } from './lib/stats.ts';

const SETTLE_MS = 300;

export async function cohortTrials(dataDir: string, poolSize: number, trials: number, progress?: (line: string) => void, extraArgs: string[] = []): Promise<Summary> {
  const server = await spawnCohort(dataDir, ['--pool-size', String(poolSize), ...extraArgs]);
  try {
    const owner = await createUser(server.url, 'owner');
    const nb = await createNotebook(server.url, owner.token, 'first', notebookOf([codeCell('c', '1+1')]));
    // The owner's run warms the server's code paths (room load, REST, session) and holds a kernel.
    await runAndWait(server.url, owner.token, nb, ['c']);
    const samples: number[] = [];
    for (let t = 0; t < trials; t++) {
      // Each earlier user holds one kernel; the pool refills to poolSize beside them.
      await waitFor(() => kernelsUnder(server.pid).length >= 1 + t + poolSize, 60_000, `the pool to refill (${poolSize})`, 50);
      await waitQuiet(() => kernelsUnder(server.pid));
      const ms = await newRunnerFirstResult(server.url, owner.token, nb, `student${t}`);
      samples.push(ms);
      progress?.(`first-result: pool ${poolSize}${extraArgs.length ? ` ${extraArgs.join(' ')}` : ''}, trial ${t + 1}/${trials}: ${ms.toFixed(0)} ms`);
    }
    return summarize(samples);
  } finally {
    await server.stop();
  }
}

export async function jupyterTrials(dir: string, trials: number, progress?: (line: string) => void): Promise<Summary> {
  const server = await startJupyter(dir);
  try {
    const samples: number[] = [];
    for (let t = 0; t < trials; t++) {
      await waitQuiet(() => processTree(server.pid));
      await sleep(SETTLE_MS);
      const start = now();
      const kernel = await server.connect(await server.startKernel());
      try {
        await kernel.ready();
        const value = await kernel.executeResult('1+1');
        if (value !== '2') throw new Error(`jupyter answered ${value}`);
        samples.push(msSince(start));
      } finally {
        kernel.close();
      }
      progress?.(`first-result: jupyter trial ${t + 1}/${trials}`);
    }
    return summarize(samples);
  } finally {
    await server.stop();
  }
}

export async function firstResult({ quick, progress }: BenchOptions): Promise<BenchResult> {
  const trials = quick ? 2 : 6;
  const poolSize = 2;
  const dir = benchDir('first');
  try {
    const warm = await cohortTrials(join(dir.path, 'warm'), poolSize, trials, progress);
    const cold = await cohortTrials(join(dir.path, 'cold'), 0, trials, progress);
    const jupyter = await jupyterTrials(join(dir.path, 'jupyter'), trials, progress);
    const markdown = [
      `## first-result: a new user's first \`1+1\` (${trials} users each)`,
      '',
      table(['path', 'p50 / p99 (spread)', 'vs Jupyter p50', 'vs Cohort cold p50'], [
        [`Cohort, warm pool (${poolSize}): POST execute?wait=true → answer`, fmtSummary(warm), ratio(warm.p50, jupyter.p50), ratio(warm.p50, cold.p50)],
        ['Cohort, no pool: POST execute?wait=true → answer', fmtSummary(cold), ratio(cold.p50, jupyter.p50), '1'],
        ['Jupyter Server: POST /api/kernels → WebSocket → execute_result', fmtSummary(jupyter), '1', ratio(jupyter.p50, cold.p50)],
      ]),
      '',
    ].join('\n');
    return { name: 'first-result', markdown, figures: { warmP50: warm.p50, coldP50: cold.p50, jupyterP50: jupyter.p50, warmP99: warm.p99, coldP99: cold.p99, jupyterP99: jupyter.p99 } };
  } finally {
    dir.remove();
  }
}

runIfMain(import.meta.url, firstResult);
