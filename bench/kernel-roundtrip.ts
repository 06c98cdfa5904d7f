// Round-trip latency of `1+1` on a warm ipykernel over ZeroMQ: execute_request sent -> done
// (execute_reply and iopub idle both in). The floor for any Cohort cell run. Not a test.
// Reference in the same run: kernel_info_request round trips, which skip Python execution, so the
// ratio shows what execution adds on top of the messaging itself.
//   node --import tsx bench/kernel-roundtrip.ts [runs]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { launchKernel } from '../server/kernels/kernel.ts';
import { resolveKernelSpec } from '../server/kernels/kernelspec.ts';
import { silentLogger } from '../server/kernels/logger.ts';
import { benchSandbox } from './lib/sandbox.ts';

const runs = Number(process.argv[2] ?? 200);
const dataDir = await mkdtemp(join(tmpdir(), 'cohort-bench-'));
const spec = await resolveKernelSpec('python3', { extraDirs: [resolve(import.meta.dirname, '../.jupyter')], logger: silentLogger });
const kernel = await launchKernel({ spec, dataDir, logger: silentLogger, sandbox: await benchSandbox(dataDir) });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(label: string, once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i += 1) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  console.log(`${label.padEnd(22)} p50 ${p50.toFixed(2)} ms   p99 ${percentile(times, 99).toFixed(2)} ms   (${runs} runs)`);
  return p50;
}

try {
  const reference = await measure('kernel_info round trip', () => kernel.request('shell', 'kernel_info_request', {}).done);
  const execute = await measure('execute 1+1', async () => {
    const reply = await kernel.execute('1+1', { store_history: false }).done;
    if (reply.content.status !== 'ok') throw new Error(`1+1 failed: ${reply.content.status}`);
  });
  console.log(`ratio execute / kernel_info: ${(execute / reference).toFixed(2)}x`);
} finally {
  await kernel.shutdown();
  await rm(dataDir, { recursive: true, force: true });
}
