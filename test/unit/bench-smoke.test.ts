// Keeps the benchmark scripts from rotting: one cheap benchmark (sync-latency with 3 clients, both
// servers as child processes) runs in quick mode and must produce figures. No absolute time is
// asserted: benchmarks never gate on speed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { syncLatency } from '../../bench/sync-latency.ts';
import { assertNoBenchKernels } from '../../bench/lib/bench.ts';

it('sync-latency runs in quick mode and reports Cohort beside the y-websocket reference', { timeout: 60_000 }, async () => {
  const result = await syncLatency({ quick: true }, [3]);
  assert.equal(result.name, 'sync-latency');
  // 3 clients typing 5 chars/s for 1.5 s: each keystroke seen by the 2 others.
  assert.ok((result.figures.n3Observations ?? 0) >= 20, `too few observations: ${JSON.stringify(result.figures)}`);
  for (const key of ['n3CohortP50', 'n3CohortP99', 'n3RefP50', 'n3RefP99']) {
    const value = result.figures[key];
    assert.ok(value !== undefined && Number.isFinite(value) && value > 0, `${key} = ${value}`);
  }
  assert.ok((result.figures.n3CohortP99 ?? 0) >= (result.figures.n3CohortP50 ?? Infinity));
  assert.match(result.markdown, /\| 3 \| 15\/s \|/);
  assert.match(result.markdown, /y-websocket 2\.x/);
  await assertNoBenchKernels(0);
});
