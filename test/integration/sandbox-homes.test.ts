// Kernel homes, with real kernels in real sandboxes: a user's files survive a kernel restart and a
// server restart, another user's kernel cannot see them, the shared kernel works in the
// notebook's own home, and a kernel from the warm pool works in its user's home once assigned.
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { notebookHome, userHome } from '../../server/kernels/homes.ts';
import type { Output } from '../../shared/nbformat.ts';
import { removeDataDir } from '../helpers/kernel.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

interface RunAnswer {
  status: string;
  outputs: Output[];
  message?: string;
}


const CELLS = [
  code('write', "import os, json\nopen('notes.txt', 'w').write('alice-notes')\nprint(json.dumps([os.getcwd(), os.environ['HOME']]))"),
  code('read', "print(open('notes.txt').read())"),
  code('where', "import os, json\nprint(json.dumps([os.getcwd(), sorted(os.listdir('.')), sorted(os.listdir('/home'))]))"),
  code('peek', ''),
  code('shared', "import os, json\nopen('shared.txt', 'w').write('for everyone')\nprint(json.dumps([os.getcwd(), sorted(os.listdir('.'))]))", 'shared'),
];

function text(run: RunAnswer): string {
  return run.outputs.map((o) => ('text' in o ? String(o.text) : '')).join('').trim();
}

describe('kernel homes', { timeout: 300_000 }, () => {
  const dataDir = tempDir('cohort-homes-');
  let server: TestServer;
  // In this order: hooks run as they were added, and the server writes into its data dir until it stopped.
  after(() => server?.close());
  after(() => removeDataDir(dataDir));
  const users: Record<string, { id: string; token: string }> = {};
  let nb = '';

  async function run(name: string, cellId: string): Promise<RunAnswer> {
    const res = await server.api(users[name]!.token)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cellId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.runs[0]!.status, 'ok', JSON.stringify(res.body.runs[0]));
    return res.body.runs[0]!;
  }

  it('files written to a user\'s home survive a kernel restart; another user\'s kernel cannot see them', async () => {
    server = await startTestServer({ dataDir, kernelStartTimeoutMs: 60_000 });
    const admin = server.api(server.adminToken);
    users.admin = { id: (await admin<{ id: string }>('GET', '/api/me')).body.id, token: server.adminToken };
    for (const name of ['alice', 'bob']) users[name] = await server.createUser(name);
    // Bob's probe looks for Alice's file where it lies on the host, and where it lies in his own home.
    CELLS[3] = code(
      'peek',
      `import os, json\nfound = []\nfor path in ['notes.txt', ${JSON.stringify(join(userHome(dataDir, users.alice!.id), 'notes.txt'))}, '/home/cohort/notes.txt']:\n    try:\n        found.append(open(path).read())\n    except OSError as error:\n        found.append(type(error).__name__)\nprint(json.dumps(found))`,
    );
    const res = await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'homes',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, cells: CELLS },
    });
    nb = res.body.id;
    for (const name of ['alice', 'bob']) await admin('PUT', `/api/notebooks/${nb}/members/${users[name]!.id}`, { role: 'runner' });

    assert.deepEqual(JSON.parse(text(await run('alice', 'write'))), ['/home/cohort', '/home/cohort']);
    // On the host the file is in Alice's home, owned by the kernels' uid (never root).
    const onHost = join(userHome(dataDir, users.alice!.id), 'notes.txt');
    assert.equal(readFileSync(onHost, 'utf8'), 'alice-notes');
    assert.equal(statSync(onHost).uid, 65534);

    assert.equal((await server.api(users.alice!.token)('POST', `/api/notebooks/${nb}/kernel/restart`)).status < 300, true);
    assert.equal(text(await run('alice', 'read')), 'alice-notes');

    assert.deepEqual(JSON.parse(text(await run('bob', 'peek'))), ['FileNotFoundError', 'FileNotFoundError', 'FileNotFoundError']);
    const [cwd, files, homes] = JSON.parse(text(await run('bob', 'where'))) as [string, string[], string[]];
    assert.equal(cwd, '/home/cohort');
    assert.ok(!files.includes('notes.txt'), `Bob sees ${files.join(', ')}`);
    assert.deepEqual(homes, ['cohort'], 'a kernel sees one home: its own');
  });

  it('the shared kernel works in the notebook\'s own home, which users\' kernels see only as the notebook\'s files', async () => {
    const [cwd, files] = JSON.parse(text(await run('admin', 'shared'))) as [string, string[]];
    assert.equal(cwd, '/home/cohort');
    assert.deepEqual(files, ['shared.txt']);
    assert.equal(readFileSync(join(notebookHome(dataDir, nb), 'shared.txt'), 'utf8'), 'for everyone');
    const [, aliceFiles] = JSON.parse(text(await run('alice', 'where'))) as [string, string[]];
    assert.ok(!aliceFiles.includes('shared.txt'));
  });

  it('files survive a server restart', async () => {
    await server.close();
    server = await startTestServer({ dataDir, kernelStartTimeoutMs: 60_000 });
    assert.equal(text(await run('alice', 'read')), 'alice-notes');
  });

  it('a kernel from the warm pool works in its user\'s home once assigned, and sees nothing of the pool\'s scratch home', async () => {
    await server.close();
    server = await startTestServer({ dataDir, poolSize: 1, kernelStartTimeoutMs: 60_000 });
    await server.server.kernels.poolInfo().settled;
    assert.equal(server.server.kernels.poolInfo().ready, 1, 'the pool did not fill');
    const carol = await server.createUser('carol');
    users.carol = carol;
    await server.api(server.adminToken)('PUT', `/api/notebooks/${nb}/members/${carol.id}`, { role: 'runner' });
    // Carol's home holds a file from before her first kernel.
    const home = userHome(dataDir, carol.id);
    mkdirSync(home, { recursive: true });
    chownSync(home, 65534, 65534);
    writeFileSync(join(home, 'before.txt'), 'hello carol');

    const [cwd, files, homes] = JSON.parse(text(await run('carol', 'where'))) as [string, string[], string[]];
    const kernel = (await server.api(carol.token)<{ fromPool: boolean }>('GET', `/api/notebooks/${nb}/kernel`)).body;
    assert.equal(kernel.fromPool, true);
    assert.equal(cwd, '/home/cohort');
    // shared.txt is the link to the notebook's file the shared kernel wrote (server/files/service.ts), not a copy.
    assert.deepEqual(files, ['before.txt', 'shared.txt']);
    assert.deepEqual(homes, ['cohort']);
    await run('carol', 'write');
    assert.equal(readFileSync(join(home, 'notes.txt'), 'utf8'), 'alice-notes', 'the pooled kernel wrote into Carol\'s home');
    assert.ok(!existsSync(join(userHome(dataDir, users.alice!.id), 'before.txt')));
  });
});
