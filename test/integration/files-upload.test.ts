// Uploads against the server as its own process: a file far larger than what the server's memory
// grows by streams to disk (its peak RSS is read from /proc); uploads over a quota (bytes or file
// count, per user and per notebook) are refused before they are stored, declared ones without the
// body being read; a multipart upload stores each file part.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { notebookHome, userHome } from '../../server/kernels/homes.ts';
import { removeDataDir } from '../helpers/kernel.ts';
import { apiClient, spawnServer, tempDir } from '../helpers/server.ts';

const MiB = 1024 * 1024;
const BIG = 256 * MiB;
const TOKEN = 'admin-test-token';

/** Peak resident set of a process so far (VmHWM), bytes. */
function peakRss(pid: number): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) * 1024;
}

/**
 * PUTs `bytes` bytes made of one 1 MiB chunk repeated (so the test process holds 1 MiB), with or
 * without a Content-Length; `sendBody: false` sends the headers only and waits for the answer.
 */
function putStream(url: string, path: string, bytes: number, { declare = true, sendBody = true } = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const chunk = Buffer.alloc(MiB, 0x61);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' };
    if (declare) headers['content-length'] = String(bytes);
    const req = request({ hostname, port, path, method: 'PUT', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may close the connection after refusing: the answer came first.
    req.on('error', (error) => (error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error)));
    if (!sendBody) {
      req.flushHeaders();
      return;
    }
    let sent = 0;
    const more = () => {
      while (sent < bytes) {
        const piece = chunk.subarray(0, Math.min(MiB, bytes - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', more);
          return;
        }
      }
      req.end();
    };
    req.on('response', () => (sent = bytes));
    more();
  });
}

describe('file uploads: streaming, quotas, multipart', { timeout: 300_000 }, () => {
  const dataDir = tempDir('cohort-uploads-');
  let child: ChildProcess;
  let url = '';
  let home = '';
  after(async () => {
    child?.kill('SIGTERM');
    await new Promise((resolve) => (child?.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await removeDataDir(dataDir);
  });

  before(async () => {
    ({ child, url } = await spawnServer(dataDir, ['--user-quota-bytes', String(BIG + 4 * MiB), '--user-quota-files', '4', '--notebook-quota-files', '2', '--notebook-quota-bytes', String(MiB)]));
    const me = await apiClient(url, TOKEN)<{ id: string }>('GET', '/api/me');
    home = userHome(dataDir, me.body.id);
  });

  it(`streams a ${BIG / MiB} MiB upload to disk: the server's peak memory grows by far less`, async () => {
    // Warm up the route (code paths, buffers) so the measurement sees the upload only.
    assert.equal((await putStream(url, '/api/files/warm.bin', MiB)).status, 201);
    const before = peakRss(child.pid!);
    const res = await putStream(url, '/api/files/big.bin', BIG);
    assert.equal(res.status, 201, res.body);
    assert.equal(statSync(join(home, 'big.bin')).size, BIG);
    const grew = peakRss(child.pid!) - before;
    assert.ok(grew < 64 * MiB, `peak RSS grew by ${(grew / MiB).toFixed(1)} MiB for a ${BIG / MiB} MiB upload`);
  });

  it('refuses an upload over the byte quota before storing it: at once when declared, mid-stream when not', async () => {
    const declared = await putStream(url, '/api/files/more.bin', 8 * MiB, { sendBody: false });
    assert.equal(declared.status, 413);
    assert.match(declared.body, /quota_exceeded/);
    const streamed = await putStream(url, '/api/files/more.bin', 8 * MiB, { declare: false });
    assert.equal(streamed.status, 413, streamed.body);
    assert.deepEqual(readdirSync(home).sort(), ['big.bin', 'warm.bin'], 'no partial or temporary file is left');
    const listing = await apiClient(url, TOKEN)<{ usage: { bytes: number; files: number }; quota: { bytes: number; files: number } }>('GET', '/api/files');
    assert.deepEqual(listing.body.usage, { bytes: BIG + MiB, files: 2 });
    assert.deepEqual(listing.body.quota, { bytes: BIG + 4 * MiB, files: 4 });
  });

  it('stores every part of a multipart upload, and refuses files past the count quota', async () => {
    const form = new FormData();
    form.append('file', new Blob(['one']), 'one.txt');
    form.append('file', new Blob(['two']), 'two.txt');
    const res = await fetch(`${url}/api/files/sub`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(((await res.json()) as { files: Array<{ path: string }> }).files.map((f) => f.path), ['sub/one.txt', 'sub/two.txt']);
    assert.equal(readFileSync(join(home, 'sub', 'two.txt'), 'utf8'), 'two');
    const third = await putStream(url, '/api/files/third.txt', 3);
    assert.equal(third.status, 413);
    assert.match(third.body, /at most 4 files/);
    // Replacing a file does not add one.
    assert.equal((await putStream(url, '/api/files/warm.bin', 10)).status, 201);
  });

  it("refuses notebook files past the notebook's quota", async () => {
    const api = apiClient(url, TOKEN);
    const nb = (await api<{ id: string }>('POST', '/api/notebooks', { name: 'quota' })).body.id;
    assert.equal((await putStream(url, `/api/notebooks/${nb}/files/a.csv`, 10)).status, 201);
    const tooBig = await putStream(url, `/api/notebooks/${nb}/files/b.csv`, 2 * MiB, { sendBody: false });
    assert.equal(tooBig.status, 413);
    assert.equal((await putStream(url, `/api/notebooks/${nb}/files/b.csv`, 10)).status, 201);
    const third = await putStream(url, `/api/notebooks/${nb}/files/c.csv`, 10);
    assert.equal(third.status, 413);
    assert.deepEqual(readdirSync(notebookHome(dataDir, nb)).sort(), ['a.csv', 'b.csv']);
  });
});
