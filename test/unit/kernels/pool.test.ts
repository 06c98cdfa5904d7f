// The pool's bookkeeping with stand-in kernels (starting real ones is the integration tests' job).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TypedEmitter } from '../../../server/kernels/emitter.ts';
import type { KernelEvents, KernelState } from '../../../server/kernels/kernel.ts';
import { KernelPool } from '../../../server/kernels/pool.ts';
import { captureLogger } from '../../helpers/kernel.ts';

class StubKernel {
  readonly events = new TypedEmitter<KernelEvents>();
  state: KernelState = 'idle';
  shutdowns = 0;
  constructor(
    readonly id: string,
    readonly pid: number,
  ) {}
  get alive(): boolean {
    return this.state !== 'dead';
  }
  on<E extends keyof KernelEvents>(event: E, listener: (...args: KernelEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }
  async shutdown(): Promise<void> {
    this.shutdowns += 1;
    this.state = 'dead';
  }
  die(): void {
    this.state = 'dead';
    this.events.emit('dead', 'test');
  }
}

function stubPool(size: number, failFirst = 0) {
  const started: StubKernel[] = [];
  let calls = 0;
  const pool = new KernelPool<StubKernel>({
    size,
    logger: captureLogger(),
    start: async () => {
      calls += 1;
      if (calls <= failFirst) throw new Error(`start ${calls} failed`);
      const k = new StubKernel(`k${calls}`, 1000 + calls);
      started.push(k);
      return k;
    },
  });
  return { pool, started, calls: () => calls };
}

describe('KernelPool', () => {
  it('fills to its size, hands out kernels in start order and refills after a take', async () => {
    const { pool, started } = stubPool(2);
    pool.fill();
    await pool.settled();
    assert.equal(pool.readyCount, 2);
    const first = pool.take();
    assert.equal(first, started[0]);
    await pool.settled();
    assert.equal(pool.readyCount, 2);
    assert.equal(started.length, 3);
    await pool.dispose();
    assert.deepEqual(started.map((k) => k.shutdowns), [0, 1, 1], 'taken kernels belong to the taker, the rest are stopped');
    assert.equal(pool.take(), undefined);
  });

  it('replaces a kernel that dies in the pool and skips ones that are not idle', async () => {
    const { pool, started } = stubPool(1);
    pool.fill();
    await pool.settled();
    started[0]?.die();
    await pool.settled();
    assert.deepEqual(pool.pids(), [1002]);
    const second = started[1];
    assert.ok(second);
    second.state = 'busy';
    const taken = pool.take();
    assert.equal(taken, undefined, 'a busy kernel must not be handed out');
    assert.equal(second.shutdowns, 1);
    await pool.dispose();
  });

  it('stops refilling after repeated start failures, and tries again on the next take', async () => {
    const { pool, calls } = stubPool(1, 3);
    pool.fill();
    await pool.settled();
    await pool.settled();
    assert.equal(calls(), 3);
    assert.equal(pool.readyCount, 0);
    assert.equal(pool.take(), undefined);
    await pool.settled();
    assert.equal(pool.readyCount, 1);
    await pool.dispose();
  });
});
