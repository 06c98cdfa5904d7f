// Kernel ports come from below the OS's ephemeral range, so our own connecting sockets can never
// be handed one of them as a source port (TCP self-connection).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { pickFreePorts } from '../../../server/kernels/connectionFile.ts';

it('picks distinct, bindable ports below the ephemeral range', async () => {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (let round = 0; round < 20; round++) {
    const ports = await pickFreePorts(5);
    assert.equal(new Set(ports).size, 5);
    for (const port of ports) {
      assert.ok(port >= 10_000 && port < ephemeralLow, `port ${port} is in the ephemeral range`);
      // Released for the kernel: binding it again works.
      await new Promise<void>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
  }
});
