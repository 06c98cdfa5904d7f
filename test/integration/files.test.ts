// Files over REST with real kernels in real sandboxes: a teacher's notebook file is read by two
// students' kernels, which cannot write it; each student's own files are theirs alone; the shared
// kernel writes notebook files; a file uploaded while kernels run appears in them at once; every
// traversal trick is refused over REST, and from inside a kernel a symlink out of the home gives
// nothing; roles are checked as for cells.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { notebookHome, userHome } from '../../server/kernels/homes.ts';
import type { Output } from '../../shared/nbformat.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

interface RunAnswer {
  status: string;
  outputs: Output[];
}

interface Listing {
  entries: Array<{ name: string; path: string; type: string; size: number }>;
  usage: { bytes: number; files: number };
  quota: { bytes: number; files: number };
  kernelPath: string;
}

const code = (id: string, source: string, scope?: 'shared') => ({
  cell_type: 'code',
  id,
  source,
  metadata: scope ? { cohort: { scope } } : {},
  outputs: [],
  execution_count: null,
});

const SCORES = 'name,score\nada,90\nbob,70\n';

/** Raw HTTP, so a path reaches the server exactly as written (fetch would resolve `..`). */
function raw(server: TestServer, token: string, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    const req = request({ hostname, port, path, method, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function text(run: RunAnswer): string {
  return run.outputs.map((o) => ('text' in o ? String(o.text) : '')).join('').trim();
}

describe('files: notebook files and my files', { timeout: 300_000 }, () => {
  let server: TestServer;
  let nb = '';
  const users: Record<string, { id: string; token: string }> = {};
  const upload = (who: string, path: string, body: string | Buffer) =>
    raw(server, users[who]!.token, 'PUT', path, body, { 'content-type': 'application/octet-stream' });

  before(async () => {
    server = await startTestServer({ poolSize: 1, kernelStartTimeoutMs: 60_000 });
    await server.server.kernels.poolInfo().settled;
    users.teacher = { id: '', token: server.adminToken };
    for (const name of ['alice', 'bob', 'viewer', 'stranger']) users[name] = await server.createUser(name);
    const admin = server.api(server.adminToken);
    const created = await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'files',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [
          code(
            'work',
            [
              'import os, json, pandas as pd',
              "total = int(pd.read_csv('scores.csv')['score'].sum())",
              'refused = []',
              "for path in ['scores.csv', '/notebook/scores.csv', '/notebook/new.csv']:",
              '    try:',
              "        open(path, 'a').write('x')",
              "        refused.append('written')",
              '    except OSError as error:',
              '        refused.append(type(error).__name__)',
              "pd.DataFrame({'total': [total]}).to_csv('out.csv', index=False)",
              "print(json.dumps([total, refused, sorted(os.listdir('.'))]))",
            ].join('\n'),
          ),
          code('later', "print(open('later.csv').read().strip())"),
          code('shared', "open('/notebook/from_shared.csv', 'w').write('made,by\\nshared,kernel\\n')\nprint(sorted(__import__('os').listdir('/notebook')))", 'shared'),
          code('escape', escapeProbe(userHome(server.dataDir, users.bob!.id), server.dataDir)),
        ],
      },
    });
    nb = created.body.id;
    await admin('PUT', `/api/notebooks/${nb}/members/${users.alice!.id}`, { role: 'runner' });
    await admin('PUT', `/api/notebooks/${nb}/members/${users.bob!.id}`, { role: 'runner' });
    await admin('PUT', `/api/notebooks/${nb}/members/${users.viewer!.id}`, { role: 'viewer' });
  });
  after(() => server?.close());

  async function run(who: string, cellId: string): Promise<RunAnswer> {
    const res = await server.api(users[who]!.token)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cellId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.runs[0]!.status, 'ok', JSON.stringify(res.body.runs[0]));
    return res.body.runs[0]!;
  }

  it('an editor uploads a notebook file; members list and download it; runners and strangers cannot write it', async () => {
    const put = await upload('teacher', `/api/notebooks/${nb}/files/scores.csv`, SCORES);
    assert.equal(put.status, 201, put.body);
    assert.equal(readFileSync(join(notebookHome(server.dataDir, nb), 'scores.csv'), 'utf8'), SCORES);

    const listing = await server.api(users.viewer!.token)<Listing>('GET', `/api/notebooks/${nb}/files`);
    assert.equal(listing.status, 200);
    assert.deepEqual(listing.body.entries.map((e) => [e.name, e.type, e.size]), [['scores.csv', 'file', SCORES.length]]);
    assert.equal(listing.body.kernelPath, '/notebook');
    assert.deepEqual(listing.body.usage, { bytes: SCORES.length, files: 1 });

    const got = await raw(server, users.viewer!.token, 'GET', `/api/notebooks/${nb}/files/scores.csv`);
    assert.equal(got.status, 200);
    assert.equal(got.body, SCORES);
    assert.match(String(got.headers['content-disposition']), /^attachment/);
    assert.equal(got.headers['content-type'], 'application/octet-stream');

    assert.equal((await upload('alice', `/api/notebooks/${nb}/files/scores.csv`, 'hacked')).status, 403);
    assert.equal((await raw(server, users.alice!.token, 'DELETE', `/api/notebooks/${nb}/files/scores.csv`)).status, 403);
    assert.equal((await upload('stranger', `/api/notebooks/${nb}/files/x.csv`, 'x')).status, 404);
    assert.equal((await raw(server, users.stranger!.token, 'GET', `/api/notebooks/${nb}/files/scores.csv`)).status, 404);
    assert.equal(readFileSync(join(notebookHome(server.dataDir, nb), 'scores.csv'), 'utf8'), SCORES);
  });

  it("two students' kernels read it with pandas, cannot write it, and each writes an out.csv of their own", async () => {
    const [aliceTotal, aliceRefused, aliceFiles] = JSON.parse(text(await run('alice', 'work'))) as [number, string[], string[]];
    const [bobTotal, bobRefused] = JSON.parse(text(await run('bob', 'work'))) as [number, string[], string[]];
    assert.equal(aliceTotal, 160);
    assert.equal(bobTotal, 160);
    assert.deepEqual(aliceRefused, ['OSError', 'OSError', 'OSError']);
    assert.deepEqual(bobRefused, ['OSError', 'OSError', 'OSError']);
    assert.deepEqual(aliceFiles, ['out.csv', 'scores.csv']);
    assert.equal(readFileSync(join(notebookHome(server.dataDir, nb), 'scores.csv'), 'utf8'), SCORES, 'the notebook file is unchanged');
    // One of the two kernels came from the warm pool: its /notebook was given after assignment.
    const fromPool = ['alice', 'bob'].map((who) => server.server.kernels.get({ notebookId: nb, userId: users[who]!.id })!.fromPool);
    assert.ok(fromPool.includes(true), `no kernel came from the pool: ${fromPool.join(', ')}`);

    // Each sees only their own, over REST too.
    for (const who of ['alice', 'bob']) {
      const mine = await server.api(users[who]!.token)<Listing>('GET', '/api/files');
      assert.equal(mine.status, 200);
      // The link to the notebook's scores.csv is not one of the user's own files.
      assert.deepEqual(mine.body.entries.map((e) => e.name), ['out.csv']);
      assert.equal(mine.body.kernelPath, '/home/cohort');
      const out = await raw(server, users[who]!.token, 'GET', '/api/files/out.csv');
      assert.equal(out.body.trim(), 'total\n160');
    }
    const overwrite = await upload('alice', '/api/files/out.csv', 'alice only');
    assert.equal(overwrite.status, 201);
    assert.equal((await raw(server, users.alice!.token, 'GET', '/api/files/out.csv')).body, 'alice only');
    assert.equal((await raw(server, users.bob!.token, 'GET', '/api/files/out.csv')).body.trim(), 'total\n160');
    assert.equal(readFileSync(join(userHome(server.dataDir, users.bob!.id), 'out.csv'), 'utf8').trim(), 'total\n160');
  });

  it('a file uploaded while kernels run appears in them at once, by its plain name', async () => {
    assert.equal((await upload('teacher', `/api/notebooks/${nb}/files/later.csv`, 'fresh data\n')).status, 201);
    assert.equal(text(await run('alice', 'later')), 'fresh data');
    assert.equal(text(await run('bob', 'later')), 'fresh data');
  });

  it('the shared kernel writes notebook files', async () => {
    const seen = JSON.parse(text(await run('teacher', 'shared')).replace(/'/g, '"')) as string[];
    assert.ok(seen.includes('from_shared.csv') && seen.includes('scores.csv'), String(seen));
    const listing = await server.api(users.viewer!.token)<Listing>('GET', `/api/notebooks/${nb}/files`);
    assert.ok(listing.body.entries.some((e) => e.name === 'from_shared.csv'));
  });

  it('refuses every traversal trick over REST with a clear 400, and stores nothing', async () => {
    const before = readdirSync(userHome(server.dataDir, users.alice!.id)).sort();
    const corpus: Array<[string, RegExp]> = [
      ['/api/files/../bob/out.csv', /climb/],
      ['/api/files/a/../../x', /climb/],
      ['/api/files/%2e%2e/x', /climb/],
      ['/api/files/.%2e/x', /climb/],
      ['/api/files/%2Fetc%2Fpasswd', /absolute/],
      ['/api/files/a%00b', /NUL/],
      ['/api/files/a%5Cb', /backslash/],
      [`/api/files/${'n'.repeat(300)}`, /longer than 255/],
      [`/api/files/${'d/'.repeat(20)}x`, /deeper/],
      ['/api/files/.bashrc', /starts with a dot/],
      [`/api/files/${encodeURIComponent('cafe\u0301.csv')}`, /NFC/],
      [`/api/notebooks/${nb}/files/..%2F..%2Fusers`, /climb/],
    ];
    for (const [path, message] of corpus) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const token = path.includes('/notebooks/') ? server.adminToken : users.alice!.token;
        const res = await raw(server, token, method, path, method === 'PUT' ? 'x' : undefined, { 'content-type': 'application/octet-stream' });
        assert.equal(res.status, 400, `${method} ${path}: ${res.status} ${res.body}`);
        assert.match(res.body, message, `${method} ${path}`);
      }
    }
    const rename = await raw(server, users.alice!.token, 'PATCH', '/api/files/out.csv', JSON.stringify({ path: '../../escaped.csv' }), { 'content-type': 'application/json' });
    assert.equal(rename.status, 400);
    assert.deepEqual(readdirSync(userHome(server.dataDir, users.alice!.id)).sort(), before, 'nothing was stored');
    // An NFC name is fine, and the NFD spelling of it is still refused.
    assert.equal((await upload('alice', `/api/files/${encodeURIComponent('café.csv')}`, 'ok')).status, 201);
  });

  it('a symlink a kernel plants in its home leads nowhere: not in the kernel, not over REST', async () => {
    const bobHome = userHome(server.dataDir, users.bob!.id);
    const found = JSON.parse(text(await run('alice', 'escape'))) as unknown[];

    assert.deepEqual(found.slice(0, 2), ['FileNotFoundError', 'FileNotFoundError'], 'a kernel sees neither another home nor the data directory');
    assert.ok(lstatSync(join(userHome(server.dataDir, users.alice!.id), 'to_bob')).isSymbolicLink());

    for (const path of ['to_bob', 'to_bob/out.csv', 'to_data', 'to_data/db', 'to_etc', 'folder/inner', 'folder/inner/out.csv']) {
      const res = await raw(server, users.alice!.token, 'GET', `/api/files/${path}`);
      assert.equal(res.status, 400, `${path}: ${res.status} ${res.body}`);
      assert.match(res.body, /symbolic link/);
      const put = await upload('alice', `/api/files/${path}/planted.txt`, 'planted');
      assert.equal(put.status, 400, `PUT ${path}/planted.txt: ${put.status} ${put.body}`);
    }
    assert.ok(!existsSync(join(bobHome, 'planted.txt')));
    assert.equal(readFileSync(join(bobHome, 'out.csv'), 'utf8').trim(), 'total\n160');
    // Deleting the link removes the link only.
    assert.equal((await raw(server, users.alice!.token, 'DELETE', '/api/files/to_bob')).status, 204);
    assert.ok(existsSync(join(bobHome, 'out.csv')));
  });

  it("ending a live session deletes guests' files with their private work, or keeps them", async () => {
    const admin = server.api(server.adminToken);
    for (const keepPrivate of [false, true]) {
      const started = await admin<{ code: string }>('POST', `/api/notebooks/${nb}/session`);
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const joined = await server.api('')<{ token: string; user: { id: string } }>('POST', '/api/join', { code: started.body.code, name: `guest ${keepPrivate}` });
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      const put = await raw(server, joined.body.token, 'PUT', '/api/files/answers.txt', 'my answers', { 'content-type': 'application/octet-stream' });
      assert.equal(put.status, 201, put.body);
      // A guest's own files only: another scope is closed to them.
      assert.equal((await raw(server, joined.body.token, 'GET', '/api/notebooks')).status, 200);
      const home = userHome(server.dataDir, joined.body.user.id);
      assert.ok(existsSync(join(home, 'answers.txt')));
      assert.equal((await admin('DELETE', `/api/notebooks/${nb}/session?keepPrivate=${keepPrivate}`)).status, 204);
      assert.equal(existsSync(join(home, 'answers.txt')), keepPrivate, `keepPrivate=${keepPrivate}`);
    }
  });
});

/** A kernel plants symlinks to another user's home, the data directory and a host file, and looks through them. */
function escapeProbe(otherHome: string, dataDir: string): string {
  return [
    'import os, json',
    'found = []',
    `for name, target in [('to_bob', ${JSON.stringify(otherHome)}), ('to_data', ${JSON.stringify(dataDir)}), ('to_etc', '/etc/hostname')]:`,
    '    if not os.path.lexists(name): os.symlink(target, name)',
    '    try:',
    "        found.append(sorted(os.listdir(name)) if name != 'to_etc' else open(name).read().strip())",
    '    except OSError as error:',
    '        found.append(type(error).__name__)',
    "os.makedirs('folder', exist_ok=True)",
    `if not os.path.lexists('folder/inner'): os.symlink(${JSON.stringify(otherHome)}, 'folder/inner')`,
    'print(json.dumps(found))',
  ].join('\n');
}
