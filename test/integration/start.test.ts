// `npm start` runs the bundled server (dist/server/main.mjs, built by `npm run build`): it must
// find the project's kernelspec and client from there, serve, run a cell, and stop on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { projectRoot } from '../../server/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { apiClient, tempDir } from '../helpers/server.ts';

const dataDir = tempDir();
after(() => rmSync(dataDir, { recursive: true, force: true }));

it('the bundled server starts, prints its login URL, runs a cell and stops cleanly', { timeout: 120_000 }, async () => {
  const build = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const child = spawn(
    process.execPath,
    [join(projectRoot, 'dist/server/main.mjs'), '--port', '0', '--data-dir', dataDir, '--pool-size', '0'],
    { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COHORT_ADMIN_TOKEN: 'start-token' } },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const login = await eventually(() => /(http:\/\/127\.0\.0\.1:\d+)\/login\?token=start-token/.exec(out)?.[1], {
      timeoutMs: 60_000,
      message: 'no login URL printed',
    });
    const api = apiClient(login, 'start-token');
    const nb = await api<{ id: string }>('POST', '/api/notebooks', {
      name: 'bundle',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', id: 'c', source: 'import ipywidgets\nprint(ipywidgets.__version__)', metadata: {}, outputs: [], execution_count: null }] },
    });
    assert.equal(nb.status, 201, JSON.stringify(nb.body));
    const ran = await api<{ runs: Array<{ status: string; outputs: Array<{ text?: string }> }> }>(
      'POST', `/api/notebooks/${nb.body.id}/execute?wait=true`, { cellIds: ['c'] });
    assert.equal(ran.body.runs[0]!.status, 'ok', JSON.stringify(ran.body));
    assert.match(String(ran.body.runs[0]!.outputs[0]!.text), /^8\./, 'the project kernelspec (ipywidgets 8) was not used');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out);
});
