// A notebook with its data as one .zip: an import lays the files out as notebook files beside the
// notebook (clutter skipped); `format=zip` export round-trips through a second import; a zip-slip
// entry, an entry outside the notebook's folder and a zip bomb (declared sizes past the notebook
// quota) are refused before anything is created.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import yazl from 'yazl';

import { notebookHome } from '../../server/kernels/homes.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ cell_type: 'code', id: 'c1', source: "import pandas as pd\npd.read_csv('scores.csv')", metadata: {}, outputs: [], execution_count: null }],
};

async function makeZip(entries: Array<[string, string | Buffer]>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of entries) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function unzip(buffer: Buffer): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(buffer, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const files = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          files.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return files;
}

describe('notebook .zip import and export', { timeout: 120_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ notebookQuotaBytes: 1024 * 1024 });
  });
  after(() => server?.close());

  const post = (body: Buffer, query = '') =>
    fetch(`${server.url}/api/notebooks/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/zip' }, body: new Uint8Array(body) });
  const notebookCount = async () => ((await server.api(server.adminToken)<{ notebooks: unknown[] }>('GET', '/api/notebooks')).body.notebooks.length);

  let imported = '';

  it('lays out the files beside the notebook as notebook files, skipping clutter', async () => {
    const zip = await makeZip([
      ['lesson/lesson.ipynb', JSON.stringify(NOTEBOOK)],
      ['lesson/scores.csv', 'name,score\nada,90\n'],
      ['lesson/data/more.csv', 'x\n1\n'],
      ['lesson/.DS_Store', 'junk'],
      ['__MACOSX/lesson/._scores.csv', 'junk'],
    ]);
    const res = await post(zip);
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { id: string; name: string; files: string[] };
    assert.equal(body.name, 'lesson');
    assert.deepEqual(body.files.sort(), ['data/more.csv', 'scores.csv']);
    imported = body.id;
    assert.deepEqual(readdirSync(notebookHome(server.dataDir, imported)).sort(), ['data', 'scores.csv']);
    const listing = await server.api(server.adminToken)<{ entries: Array<{ name: string }> }>('GET', `/api/notebooks/${imported}/files`);
    assert.deepEqual(listing.body.entries.map((e) => e.name), ['data', 'scores.csv']);
  });

  it('format=zip exports the notebook with its files, and the export imports again as it was', async () => {
    await fetch(`${server.url}/api/files/mine.txt`, { method: 'PUT', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' }, body: 'my own' });
    const res = await fetch(`${server.url}/api/notebooks/${imported}/export?format=zip`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const archive = Buffer.from(await res.arrayBuffer());
    const files = await unzip(archive);
    assert.deepEqual([...files.keys()].sort(), ['data/more.csv', 'lesson.ipynb', 'scores.csv']);
    assert.equal(files.get('scores.csv'), 'name,score\nada,90\n');
    const cells = (JSON.parse(files.get('lesson.ipynb')!) as { cells: Array<{ source: string | string[] }> }).cells;
    assert.equal([cells[0]!.source].flat().join(''), NOTEBOOK.cells[0]!.source);

    const again = await post(archive, '?name=again');
    assert.equal(again.status, 201);
    const id = ((await again.json()) as { id: string }).id;
    assert.deepEqual(readdirSync(notebookHome(server.dataDir, id)).sort(), ['data', 'scores.csv']);

    const withMine = await unzip(Buffer.from(await (await fetch(`${server.url}/api/notebooks/${imported}/export?format=zip&myFiles=1`, { headers: { authorization: `Bearer ${server.adminToken}` } })).arrayBuffer()));
    assert.equal(withMine.get('mine.txt'), 'my own');
  });

  it('refuses zip-slip, files outside the notebook\'s folder and zip bombs, creating nothing', async () => {
    const before = await notebookCount();
    // yazl will not write a "../" name: write a placeholder of the same length and patch it in.
    const slip = await makeZip([
      ['lesson.ipynb', JSON.stringify(NOTEBOOK)],
      ['zz/escaped.csv', 'evil'],
    ]);
    const patched = Buffer.from(slip.toString('latin1').replaceAll('zz/escaped.csv', '../escaped.csv'), 'latin1');
    const slipRes = await post(patched);
    assert.equal(slipRes.status, 400, await slipRes.clone().text());
    assert.match(await slipRes.text(), /relative path|climbs/);
    assert.ok(!existsSync(join(server.dataDir, 'homes', 'escaped.csv')));

    const outside = await post(await makeZip([['lesson/lesson.ipynb', JSON.stringify(NOTEBOOK)], ['other/data.csv', 'x']]));
    assert.equal(outside.status, 400);
    assert.match(await outside.text(), /outside the notebook's folder/);

    // 4 MiB of zeros compress to a few KiB; the notebook quota is 1 MiB.
    const bomb = await makeZip([['lesson.ipynb', JSON.stringify(NOTEBOOK)], ['zeros.bin', Buffer.alloc(4 * 1024 * 1024)]]);
    assert.ok(bomb.length < 64 * 1024);
    const bombRes = await post(bomb);
    assert.equal(bombRes.status, 413);
    assert.match(await bombRes.text(), /quota_exceeded/);

    const noNotebook = await post(await makeZip([['data.csv', 'x']]));
    assert.equal(noNotebook.status, 400);
    assert.equal((await post(Buffer.from('not a zip'))).status, 400);
    assert.equal(await notebookCount(), before, 'no notebook was created');
  });
});
