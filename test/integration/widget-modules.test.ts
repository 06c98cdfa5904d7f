// `GET /widget-modules/<module>/<path>` serves widget front ends from Jupyter data dirs and
// nothing else: a real server with a data dir of its own (`--widget-data-dirs`) holding a module,
// its neighbours, links out of it and files that must never be served, next to a folder of
// secrets; and the kernel environment's own data dir, found from the kernelspec (the set-up's
// bqplot). Requests are sent as raw paths, so `..` reaches the server un-normalized.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer, tempDir } from '../helpers/server.ts';

const SECRET = 'SECRET-OUTSIDE-THE-DATA-DIR';

/** GET with the path exactly as written (no URL normalization), as a hostile client sends it. */
function rawGet(url: string, path: string, token: string): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('widget front end files', { timeout: 60_000 }, () => {
  let t: TestServer;
  let root: string;

  before(async () => {
    root = tempDir('cohort-widget-modules-');
    const data = join(root, 'data');
    const lib = join(data, 'nbextensions', 'good-lib');
    const outside = join(root, 'outside');
    mkdirSync(join(lib, 'sub'), { recursive: true });
    mkdirSync(join(data, 'nbextensions', '@scope', 'scoped'), { recursive: true });
    mkdirSync(join(data, 'nbextensions', 'no-index'), { recursive: true });
    mkdirSync(join(data, 'kernels', 'x'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(lib, 'index.js'), 'define([], function () { return { GOOD: 1 }; });\n');
    writeFileSync(join(lib, 'sub', 'chunk.js'), '/* a chunk */\n');
    writeFileSync(join(lib, 'style.css'), '.good-lib { color: red }\n');
    writeFileSync(join(lib, 'page.html'), `<script>${SECRET}</script>`);
    writeFileSync(join(lib, '.hidden.js'), SECRET);
    writeFileSync(join(data, 'nbextensions', '@scope', 'scoped', 'index.js'), '/* scoped */\n');
    writeFileSync(join(data, 'nbextensions', 'no-index', 'other.js'), SECRET);
    writeFileSync(join(data, 'kernels', 'x', 'kernel.json'), JSON.stringify({ argv: [SECRET] }));
    writeFileSync(join(outside, 'secret.js'), SECRET);
    symlinkSync(join(outside, 'secret.js'), join(lib, 'escape.js'));
    symlinkSync(outside, join(lib, 'linkdir'));
    t = await startTestServer({ widgetDataDirs: [data] });
  });

  after(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("serves a module's files with their content types, scoped names included", async () => {
    const index = await rawGet(t.url, '/widget-modules/good-lib/index.js', t.adminToken);
    assert.equal(index.status, 200);
    assert.equal(index.type, 'text/javascript; charset=utf-8');
    assert.match(index.body, /GOOD: 1/);
    assert.equal((await rawGet(t.url, '/widget-modules/good-lib/sub/chunk.js', t.adminToken)).status, 200);
    const css = await rawGet(t.url, '/widget-modules/good-lib/style.css', t.adminToken);
    assert.equal(css.status, 200);
    assert.equal(css.type, 'text/css; charset=utf-8');
    assert.equal((await rawGet(t.url, '/widget-modules/@scope/scoped/index.js', t.adminToken)).status, 200);
  });

  it("finds a library in the kernel environment's data dir, from the kernelspec", async () => {
    // The set-up installs bqplot's bundle into .python/share/jupyter, next to the kernelspec's PYTHONPATH.
    const bqplot = await rawGet(t.url, '/widget-modules/bqplot/index.js', t.adminToken);
    assert.equal(bqplot.status, 200);
    assert.match(bqplot.body.slice(0, 400), /define\(\["@jupyter-widgets\/base"\]/);
  });

  const hostile = [
    '/widget-modules/good-lib/../../../outside/secret.js',
    '/widget-modules/good-lib/%2e%2e/%2e%2e/%2e%2e/outside/secret.js',
    '/widget-modules/good-lib/..%2f..%2f..%2foutside%2fsecret.js',
    '/widget-modules/good-lib/..%5c..%5c..%5coutside%5csecret.js',
    '/widget-modules/..%2f..%2foutside/secret.js',
    '/widget-modules/%2e%2e/kernels/x/kernel.json',
    '/widget-modules/..%2fkernels/x/kernel.json',
    '/widget-modules/good-lib/escape.js',
    '/widget-modules/good-lib/linkdir/secret.js',
    '/widget-modules/good-lib/.hidden.js',
    '/widget-modules/good-lib/page.html',
    '/widget-modules/good-lib/%00index.js',
    '/widget-modules/good-lib/index.js%00.html',
    '/widget-modules/good-lib/%2Fetc%2Fpasswd',
    '/widget-modules/no-index/other.js',
    '/widget-modules/good-lib',
    '/widget-modules/@scope/../good-lib/index.js',
  ];
  for (const path of hostile) {
    it(`serves nothing for ${path}`, async () => {
      const res = await rawGet(t.url, path, t.adminToken);
      assert.ok([400, 404].includes(res.status), `status ${res.status}: ${res.body.slice(0, 200)}`);
      assert.doesNotMatch(res.body, new RegExp(SECRET));
      assert.doesNotMatch(res.body, /root:x:0:0/);
    });
  }
});
