// `npm run bench [-- --quick] [--only a,b] [--out file.md]`: every benchmark in turn, each
// beside its reference, then a check that none left a kernel running.
import { writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { burstBench } from './burst.ts';
import { execRoundtrip } from './exec-roundtrip.ts';
import { firstResult } from './first-result.ts';
import { gatewayBench } from './gateway.ts';
import type { Bench } from './lib/bench.ts';
import { assertNoBenchKernels, loadNote, parseOptions } from './lib/bench.ts';
import { memoryBench } from './memory.ts';
import { sandboxBench } from './sandbox.ts';
import { soak } from './soak.ts';
import { storeBench } from './store.ts';
import { syncLatency } from './sync-latency.ts';

export const BENCHES: Record<string, Bench> = {
  'exec-roundtrip': execRoundtrip,
  'sync-latency': syncLatency,
  store: storeBench,
  'first-result': firstResult,
  memory: memoryBench,
  burst: burstBench,
  sandbox: sandboxBench,
  gateway: gatewayBench,
  soak,
};

function argValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const only = argValue(argv, '--only')?.split(',');
  const unknown = only?.filter((name) => !(name in BENCHES)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  const sections = [
    `# Cohort benchmarks${options.quick ? ' (quick sizes)' : ''}`,
    '',
    `${new Date().toISOString()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 20)} MiB RAM (${Math.round(freemem() / 2 ** 20)} MiB free), Node ${process.version}`,
    '',
  ];
  for (const [name, bench] of Object.entries(BENCHES)) {
    if (only && !only.includes(name)) continue;
    console.error(`${name}…`);
    const before = loadNote();
    const started = Date.now();
    const result = await bench(options);
    sections.push(result.markdown, `_${((Date.now() - started) / 1000).toFixed(0)} s; ${before} at start, ${loadNote()} at end._`, '');
    console.log(result.markdown);
    await assertNoBenchKernels();
  }
  const out = argValue(argv, '--out');
  if (out) writeFileSync(out, sections.join('\n'));
}

// Each WebsocketProvider adds a process 'exit' listener; the sync benchmark opens dozens.
process.setMaxListeners(0);
main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
