// Kernels on a remote engine (--kernel-gateway-url) against local ones, in the same run, with
// Jupyter Server's own kernel WebSocket as the reference — the same Jupyter Server serves as the
// gateway provider's engine. Two figures: `1+1` on a warm kernel (HTTP request → result in the
// user's Yjs client), and a new user's first result (no warm pool on either side, so both pay
// a kernel start: locally a sandboxed process, remotely POST /api/kernels + its WebSocket).
//   node --import tsx bench/gateway.ts [--quick]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateRoom } from '../shared/rooms.ts';
import { privateDoc } from '../shared/layout.ts';
import { connectDoc } from '../test/helpers/clients.ts';
import { whenDoc } from './exec-roundtrip.ts';
import { jupyterTrials } from './first-result.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { codeCell, createNotebook, createUser, notebookOf, runAndWait, spawnCohort, startRun } from './lib/cohort.ts';
import type { SpawnedCohort } from './lib/cohort.ts';
import { startJupyter } from './lib/jupyter.ts';
import { benchDir } from './lib/procs.ts';
import { interleavedBlocks, jupyterOnePlusOne, newRunnerFirstResult } from './lib/trials.ts';
import type { Summary } from './lib/stats.ts';
import { fmtSummary, msSince, now, ratio, summarize, table } from './lib/stats.ts';

interface Side {
  name: string;
  cohort: SpawnedCohort;
  /** One warm `1+1`, timed from the request until the result is in the user's document. */
  roundTrip(): Promise<number>;
  /** A fresh user's first `1+1` (their kernel starts for it). */
  firstResult(trial: number): Promise<number>;
  close(): void;
}

async function side(name: string, cohort: SpawnedCohort): Promise<Side> {
  const owner = await createUser(cohort.url, `owner-${name}`);
  const nb = await createNotebook(cohort.url, owner.token, name, notebookOf([codeCell('c', '1+1')]));
  const client = connectDoc(cohort.wsUrl, privateRoom(nb, owner.id), owner.token);
  await client.synced();
  const outputs = privateDoc(client.doc).outputs;
  const resultCount = () =>
    outputs.get('c')?.toArray().find((o) => o.get('output_type') === 'execute_result')?.get('execution_count') as number | undefined;
  await runAndWait(cohort.url, owner.token, nb, ['c']);
  await whenDoc(client.doc, () => resultCount() !== undefined, 30_000);
  return {
    name,
    cohort,
    async roundTrip() {
      const expected = resultCount()! + 1;
      const start = now();
      await startRun(cohort.url, owner.token, nb, ['c']);
      await whenDoc(client.doc, () => resultCount() === expected, 10_000);
      return msSince(start);
    },
    firstResult: (trial) => newRunnerFirstResult(cohort.url, owner.token, nb, `${name}-student${trial}`),
    close: () => client.destroy(),
  };
}

export async function gatewayBench({ quick, progress }: BenchOptions): Promise<BenchResult> {
  const runs = quick ? 6 : 200;
  const block = quick ? 3 : 20;
  const trials = quick ? 2 : 6;
  const dir = benchDir('gateway');
  const stops: Array<() => Promise<void>> = [];
  try {
    progress?.('gateway: starting Jupyter Server (the engine and the reference)');
    const jupyter = await startJupyter(join(dir.path, 'jupyter'));
    stops.push(() => jupyter.stop());
    const tokenFile = join(dir.path, 'gateway-token');
    writeFileSync(tokenFile, jupyter.token, { mode: 0o600 });
    const local = await side('local', await spawnCohort(join(dir.path, 'local')));
    stops.push(async () => (local.close(), await local.cohort.stop()));
    const remote = await side('gateway', await spawnCohort(join(dir.path, 'remote'), ['--kernel-gateway-url', jupyter.url, '--kernel-gateway-token-file', tokenFile]));
    stops.push(async () => (remote.close(), await remote.cohort.stop()));
    const jk = await jupyter.connect(await jupyter.startKernel());
    stops.push(() => Promise.resolve(jk.close()));
    await jk.ready();

    // Interleaved blocks, so background load hits the three alike.
    const rt = await interleavedBlocks(
      { gateway: () => remote.roundTrip(), local: () => local.roundTrip(), jupyter: () => jupyterOnePlusOne(jk) },
      { runs, block, onBlock: (done) => progress?.(`gateway: round trips ${done}/${runs}`) },
    );
    const first = { local: [] as number[], gateway: [] as number[] };
    for (let t = 0; t < trials; t++) {
      first.gateway.push(await remote.firstResult(t));
      first.local.push(await local.firstResult(t));
      progress?.(`gateway: first results ${t + 1}/${trials}`);
    }
    const jupyterFirst = await jupyterTrials(join(dir.path, 'jupyter-first'), trials, progress);
    const r = { local: summarize(rt.local), gateway: summarize(rt.gateway), jupyter: summarize(rt.jupyter) };
    const f: Record<'local' | 'gateway' | 'jupyter', Summary> = { local: summarize(first.local), gateway: summarize(first.gateway), jupyter: jupyterFirst };
    const markdown = [
      `## gateway: kernels on a remote engine vs local kernels (${runs} round trips, ${trials} first results each)`,
      '',
      'The engine is Jupyter Server 1.23 on the same machine, so the figures show what the gateway path',
      'adds (REST, the engine\'s WebSocket relay, no sandbox), not a network.',
      '',
      table(['`1+1` on a warm kernel', 'p50 / p99 (spread)', 'p50 vs local', 'p50 vs Jupyter WS'], [
        ['Cohort, gateway provider: POST /execute → result in the Yjs client', fmtSummary(r.gateway), ratio(r.gateway.p50, r.local.p50), ratio(r.gateway.p50, r.jupyter.p50)],
        ['Cohort, local provider (sandboxed kernel)', fmtSummary(r.local), '1', ratio(r.local.p50, r.jupyter.p50)],
        ['reference: Jupyter Server kernel WebSocket → execute_result', fmtSummary(r.jupyter), ratio(r.jupyter.p50, r.local.p50), '1'],
      ]),
      '',
      table(['a new user\'s first `1+1` (no warm pool)', 'p50 / p99 (spread)', 'p50 vs local', 'p50 vs Jupyter'], [
        ['Cohort, gateway provider', fmtSummary(f.gateway), ratio(f.gateway.p50, f.local.p50), ratio(f.gateway.p50, f.jupyter.p50)],
        ['Cohort, local provider', fmtSummary(f.local), '1', ratio(f.local.p50, f.jupyter.p50)],
        ['reference: Jupyter Server POST /api/kernels + WebSocket → execute_result', fmtSummary(f.jupyter), ratio(f.jupyter.p50, f.local.p50), '1'],
      ]),
      '',
    ].join('\n');
    return {
      name: 'gateway',
      markdown,
      figures: {
        gatewayP50: r.gateway.p50, localP50: r.local.p50, jupyterP50: r.jupyter.p50,
        gatewayFirstP50: f.gateway.p50, localFirstP50: f.local.p50, jupyterFirstP50: f.jupyter.p50,
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    dir.remove();
  }
}

runIfMain(import.meta.url, gatewayBench);
