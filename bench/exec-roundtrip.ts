// `1+1` from the HTTP request until its result is visible in the user's own Yjs client, beside
// (a) the floor: Cohort's kernel client straight to the kernel over ZeroMQ, and (b) Jupyter
// Server's kernel WebSocket until `execute_result`. All three use warm kernels and are measured
// in interleaved blocks so background load hits them alike.
import { join } from 'node:path';
import * as Y from 'yjs';
import { projectRoot } from '../server/config.ts';
import { launchKernel, resolveKernelSpec, silentLogger } from '../server/kernels/index.ts';
import type { LocalKernel } from '../server/kernels/index.ts';
import { privateRoom } from '../shared/rooms.ts';
import { privateDoc } from '../shared/layout.ts';
import { connectDoc } from '../test/helpers/clients.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { codeCell, createNotebook, createUser, notebookOf, runAndWait, spawnCohort, startRun } from './lib/cohort.ts';
import { startJupyter } from './lib/jupyter.ts';
import { benchDir } from './lib/procs.ts';
import { fmtSummary, msSince, now, ratio, summarize, table } from './lib/stats.ts';
import { benchSandbox } from './lib/sandbox.ts';
import { interleavedBlocks, jupyterOnePlusOne } from './lib/trials.ts';

/** Resolves when `check` holds after some transaction of `doc` (or already holds). */
export function whenDoc(doc: Y.Doc, check: () => boolean, timeoutMs: number): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      doc.off('afterTransaction', onTx);
      reject(new Error(`document condition not met within ${timeoutMs} ms`));
    }, timeoutMs);
    const onTx = () => {
      if (!check()) return;
      clearTimeout(timer);
      doc.off('afterTransaction', onTx);
      resolve();
    };
    doc.on('afterTransaction', onTx);
  });
}

function floorRun(kernel: LocalKernel): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = kernel.execute('1+1');
    request.onIopub((msg) => {
      if (msg.header.msg_type === 'execute_result') resolve();
    });
    request.reply.catch(reject);
  });
}

export async function execRoundtrip({ quick, progress }: BenchOptions): Promise<BenchResult> {
  const runs = quick ? 6 : 200;
  const block = quick ? 3 : 20;
  const dir = benchDir('exec');
  const stops: Array<() => Promise<void>> = [];
  try {
    // Cohort, as its own process.
    const cohort = await spawnCohort(join(dir.path, 'cohort'));
    stops.push(() => cohort.stop());
    const alice = await createUser(cohort.url, 'alice');
    const nb = await createNotebook(cohort.url, alice.token, 'roundtrip', notebookOf([codeCell('c', '1+1')]));
    const client = connectDoc(cohort.wsUrl, privateRoom(nb, alice.id), alice.token);
    stops.push(() => Promise.resolve(client.destroy()));
    await client.synced();
    const outputs = privateDoc(client.doc).outputs;
    const resultCount = (): number | undefined => {
      const first = outputs.get('c')?.toArray().find((o) => o.get('output_type') === 'execute_result');
      return first?.get('execution_count') as number | undefined;
    };
    progress?.('cohort: starting the user kernel');
    await runAndWait(cohort.url, alice.token, nb, ['c']);
    await whenDoc(client.doc, () => resultCount() !== undefined, 10_000);
    // Document updates the user's client receives per run: each is stored, then sent.
    let updates = 0;
    client.doc.on('update', () => updates++);
    const updatesPerRun: number[] = [];
    const cohortRun = async () => {
      const expected = resultCount()! + 1;
      const before = updates;
      const start = now();
      await startRun(cohort.url, alice.token, nb, ['c']);
      await whenDoc(client.doc, () => resultCount() === expected, 10_000);
      const ms = msSince(start);
      updatesPerRun.push(updates - before);
      return ms;
    };

    // The floor: Cohort's own kernel client, no server in between.
    const spec = await resolveKernelSpec('python3', { extraDirs: [join(projectRoot, '.jupyter')], logger: silentLogger });
    const floorDir = join(dir.path, 'floor');
    const kernel = await launchKernel({ spec, dataDir: floorDir, logger: silentLogger, sandbox: await benchSandbox(floorDir) });
    stops.push(() => kernel.shutdown());
    const floor = async () => {
      const start = now();
      await floorRun(kernel);
      return msSince(start);
    };

    // Jupyter Server's kernel WebSocket.
    progress?.('jupyter: starting server and kernel');
    const jupyter = await startJupyter(join(dir.path, 'jupyter'));
    stops.push(() => jupyter.stop());
    const jk = await jupyter.connect(await jupyter.startKernel());
    stops.push(() => Promise.resolve(jk.close()));
    await jk.ready();
    const samples = await interleavedBlocks(
      { cohort: cohortRun, floor, jupyter: () => jupyterOnePlusOne(jk) },
      { runs, block, onBlock: (done) => progress?.(`exec-roundtrip: ${done}/${runs}`) },
    );
    const s = { cohort: summarize(samples.cohort), floor: summarize(samples.floor), jupyter: summarize(samples.jupyter) };
    const markdown = [
      `## exec-roundtrip: \`1+1\`, warm kernel, ${runs} runs each`,
      '',
      table(['path', 'p50 / p99 (spread)', 'p50 ratio', 'p99 ratio'], [
        ['Cohort: POST /execute → result in the user\'s Yjs client', fmtSummary(s.cohort), '1', '1'],
        ['(a) floor: Cohort kernel client → ZeroMQ → execute_result', fmtSummary(s.floor), `Cohort ${ratio(s.cohort.p50, s.floor.p50)}`, `Cohort ${ratio(s.cohort.p99, s.floor.p99)}`],
        ['(b) Jupyter Server 1.23 kernel WebSocket → execute_result', fmtSummary(s.jupyter), `Cohort ${ratio(s.cohort.p50, s.jupyter.p50)}`, `Cohort ${ratio(s.cohort.p99, s.jupyter.p99)}`],
      ]),
      '',
      `Yjs updates the user's client received per run until the result was visible: p50 ${summarize(updatesPerRun).p50} (each one is written to LevelDB before it is sent).`,
      '',
    ].join('\n');
    return {
      name: 'exec-roundtrip',
      markdown,
      figures: {
        cohortP50: s.cohort.p50, cohortP99: s.cohort.p99, floorP50: s.floor.p50, floorP99: s.floor.p99,
        jupyterP50: s.jupyter.p50, jupyterP99: s.jupyter.p99, updatesPerRun: summarize(updatesPerRun).p50,
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    dir.remove();
  }
}

runIfMain(import.meta.url, execRoundtrip);
