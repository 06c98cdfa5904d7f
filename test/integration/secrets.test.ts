// The admin token stays out of every log line, the server's command line and its kernels'
// environment. The server runs as its own process (as `npm start` runs it) at debug level,
// used with the token in every way the README offers, and its whole output is read.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { projectRoot } from '../../server/config.ts';
import { sharedRoom } from '../../shared/rooms.ts';
import { eventually } from '../helpers/eventually.ts';
import { RoomProbe } from '../helpers/roomProbe.ts';
import { apiClient, spawnServer, tempDir } from '../helpers/server.ts';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

it('the admin token is in no log line, no command line and no kernel environment', { timeout: 180_000 }, async () => {
  const token = `tok-${randomBytes(16).toString('hex')}`;
  const { child, url, output } = await spawnServer(dir(), ['--log-level', 'debug'], { env: { COHORT_ADMIN_TOKEN: token } });
  try {
    // The ways a token travels: the login URL, bearer headers, `?token=` on REST and WebSocket, wrong tokens.
    await eventually(() => output().includes('/login?token='), { message: 'no login URL printed' });
    assert.equal((await fetch(`${url}/login?token=${token}`, { redirect: 'manual', headers: { 'sec-fetch-site': 'none' } })).status, 303);
    const api = apiClient(url, token);
    const nb = await api<{ id: string }>('POST', '/api/notebooks', {
      name: 'env',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ cell_type: 'code', id: 'env', source: "import os\nprint(sorted(k for k in os.environ if 'COHORT' in k), repr(os.environ.get('COHORT_ADMIN_TOKEN')))", metadata: {}, outputs: [], execution_count: null }],
      },
    });
    assert.equal(nb.status, 201);
    assert.equal((await fetch(`${url}/api/me?token=${token}`)).status, 200);
    assert.equal((await fetch(`${url}/api/me?token=${token}x`)).status, 401);
    assert.equal((await fetch(`${url}/login?token=${token}x`)).status, 401);
    const probe = new RoomProbe(url.replace(/^http/, 'ws') + '/sync', sharedRoom(nb.body.id), token);
    assert.equal(await probe.settled(), 'synced');
    probe.close();
    const ran = await api<{ runs: Array<{ status: string; outputs: Array<{ text?: string }> }> }>(
      'POST', `/api/notebooks/${nb.body.id}/execute?wait=true`, { cellIds: ['env'] });
    assert.equal(ran.body.runs[0]!.status, 'ok', JSON.stringify(ran.body));
    assert.equal(String(ran.body.runs[0]!.outputs[0]!.text).trim(), '[] None', 'the kernel sees the token or COHORT_* variables');

    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(token), 'the token is on the server command line');

    await stop(child);
    const lines = output().split('\n').filter((l) => l.trim() !== '');
    const logLines = lines.filter((l) => l.startsWith('{'));
    assert.ok(logLines.length > 10, 'the debug log was captured');
    assert.deepEqual(logLines.filter((l) => l.includes(token)), [], 'a log line holds the token');
    // The terminal banner (not a log line) is where the login URL goes, as Jupyter prints it.
    assert.deepEqual(
      lines.filter((l) => l.includes(token)).map((l) => l.trim()),
      [`${url}/login?token=${token}`],
    );
  } finally {
    if (child.exitCode === null) await stop(child);
  }
});

it('--admin-token-file reads the token from a file; the command line holds only its path', { timeout: 60_000 }, async () => {
  const token = `file-${randomBytes(16).toString('hex')}`;
  const data = dir();
  const file = join(data, 'admin-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const { child, url } = await spawnServer(data, ['--admin-token-file', file], { env: { COHORT_ADMIN_TOKEN: '' } });
  try {
    assert.equal((await apiClient(url, token)('GET', '/api/me')).status, 200);
    assert.ok(!readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes(token));
  } finally {
    await stop(child);
  }
});

it('--admin-token on the command line is refused with the way to do it instead', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/main.ts'), '--port', '0', '--data-dir', dir(), '--admin-token', 'visible'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--admin-token is not accepted on the command line.*COHORT_ADMIN_TOKEN or use --admin-token-file/);
});
