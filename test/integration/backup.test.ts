// Backup and restore with the real commands (`npm run backup` / `npm run restore`'s scripts, as
// processes) against a real server: a backup taken while two clients type and cells run is a
// consistent snapshot. Restored into a fresh data dir, the server serves documents byte for byte as
// some clients had them from the server (the states a client that never writes went through), no
// earlier than what they had when the backup began; every user, token and session still works. A
// truncated or altered file is refused and leaves no data dir.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as Y from 'yjs';
import { projectRoot } from '../../server/config.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellSource, notebookOf } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { connectDoc, type DocClient } from '../helpers/clients.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the package's commands (`npm run backup|restore -- …`) the way npm runs it. */
function command(name: 'backup' | 'restore', args: string[]): Promise<Outcome> {
  const script = join(projectRoot, 'server/backup', `${name}Command.ts`);
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * A client that never writes, recording its document's encoded state after every change it
 * received. The server stores before it broadcasts, so each recorded state was stored.
 */
function recorder(c: DocClient): { states: Uint8Array[] } {
  const states: Uint8Array[] = [];
  c.doc.on('update', () => states.push(Y.encodeStateAsUpdate(c.doc)));
  return { states };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('backup and restore', { timeout: 240_000 }, () => {
  const work = tempDir('cohort-backup-');
  let s: TestServer;
  let restored: TestServer | undefined;
  const clients: DocClient[] = [];
  const backupFile = join(work, 'cohort.backup');

  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await restored?.close();
    await s?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a backup of a busy server restores to a server with the same documents, users, tokens and sessions', async () => {
    const admin = s.api(s.adminToken);
    const bob = await s.createUser('bob');
    const carol = await s.createUser('carol');
    const { body: nb } = await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'Busy',
      notebook: notebookOf([code('typed', ''), code('run', 'import random\nprint(random.random())')]),
    });
    for (const user of [bob, carol]) await admin('PUT', `/api/notebooks/${nb.id}/members/${user.id}`, { role: 'editor' });
    // A browser session (cookie) and a live-session guest, to find them again after the restore.
    const login = await fetch(`${s.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: bob.token }) });
    const bobCookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { body: session } = await admin<{ code: string }>('POST', `/api/notebooks/${nb.id}/session`);
    const guestJoin = await fetch(`${s.url}/api/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: session.code, name: 'Gus' }) });
    const guest = (await guestJoin.json()) as { token: string; user: { id: string } };

    const open = (room: string, token: string) => {
      const c = connectDoc(s.wsUrl, room, token);
      clients.push(c);
      return c;
    };
    const writers = [open(sharedRoom(nb.id), bob.token), open(sharedRoom(nb.id), carol.token)];
    const watched = {
      shared: recorder(open(sharedRoom(nb.id), s.adminToken)),
      bob: recorder(open(privateRoom(nb.id, bob.id), bob.token)),
      carol: recorder(open(privateRoom(nb.id, carol.id), carol.token)),
    };
    await Promise.all(clients.map((c) => c.synced()));

    // Bob types at the start of the cell, Carol at its end; both run a cell over and over.
    let busy = true;
    const typing = writers.map(async (w, i) => {
      const text = cellSource(sharedDoc(w.doc).cells.get(0));
      for (let n = 0; busy; n++) {
        text.insert(i === 0 ? 0 : text.length, i === 0 ? 'b' : 'c');
        await sleep(3);
      }
    });
    const running = [bob, carol].map(async (user) => {
      let runs = 0;
      while (busy) {
        const res = await s.api(user.token)<{ runs: Array<{ status: string }> }>('POST', `/api/notebooks/${nb.id}/execute?wait=true`, { cellIds: ['run'] });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        runs++;
      }
      return runs;
    });
    await eventually(() => watched.shared.states.length > 30 && watched.bob.states.length > 3 && watched.carol.states.length > 3, {
      timeoutMs: 60_000,
      message: 'no typing or runs seen',
    });

    const atStart = { shared: watched.shared.states.length, bob: watched.bob.states.length, carol: watched.carol.states.length };
    const backup = await command('backup', ['--data-dir', s.dataDir, '--out', backupFile]);
    const atEnd = { shared: watched.shared.states.length, bob: watched.bob.states.length, carol: watched.carol.states.length };
    busy = false;
    await Promise.all(typing);
    const runs = await Promise.all(running);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /from the running server/);
    assert.ok(atEnd.shared > atStart.shared, 'nobody typed while the backup ran: the test proves nothing');
    assert.ok(runs.every((n) => n >= 1));
    for (const c of clients) c.destroy();
    clients.length = 0;
    await s.close();

    const restoredDir = join(work, 'restored');
    const restore = await command('restore', ['--in', backupFile, '--data-dir', restoredDir]);
    assert.equal(restore.code, 0, restore.stderr);
    // No admin token given: the restored admin's token must work on its own.
    restored = await startTestServer({ dataDir: restoredDir, adminToken: undefined });

    const me = async (headers: Record<string, string>) => {
      const res = await fetch(`${restored!.url}/api/me`, { headers });
      return res.status === 200 ? ((await res.json()) as { name: string }).name : res.status;
    };
    assert.equal(await me({ authorization: `Bearer ${s.adminToken}` }), 'admin');
    assert.equal(await me({ authorization: `Bearer ${bob.token}` }), 'bob');
    assert.equal(await me({ authorization: `Bearer ${carol.token}` }), 'carol');
    assert.equal(await me({ authorization: `Bearer ${guest.token}` }), 'Gus');
    assert.equal(await me({ cookie: bobCookie }), 'bob');
    const details = await restored.api(bob.token)<{ members: Array<{ name: string; role: string }> }>('GET', `/api/notebooks/${nb.id}`);
    assert.deepEqual(details.body.members.map((m) => `${m.name}:${m.role}`).sort(), ['Gus:runner', 'admin:owner', 'bob:editor', 'carol:editor']);

    // Each document is, byte for byte, one of the states its watcher received, and not one older
    // than what it had when the backup began.
    const check = async (name: keyof typeof watched, room: string, token: string) => {
      const reader = connectDoc(restored!.wsUrl, room, token);
      clients.push(reader);
      await reader.synced();
      const state = Y.encodeStateAsUpdate(reader.doc);
      const states = watched[name].states;
      let at = states.length - 1;
      while (at >= 0 && !sameBytes(states[at]!, state)) at--;
      assert.ok(at >= 0, `${name}: the restored document is no state its watcher had`);
      assert.ok(at + 1 >= atStart[name], `${name}: restored state ${at + 1} is older than the ${atStart[name]} seen before the backup`);
      assert.ok(at + 1 <= atEnd[name], `${name}: restored state ${at + 1} is newer than the backup`);
      return reader;
    };
    const shared = await check('shared', sharedRoom(nb.id), s.adminToken);
    await check('bob', privateRoom(nb.id, bob.id), bob.token);
    await check('carol', privateRoom(nb.id, carol.id), carol.token);
    // (Byte-identity above is the real check; this only shows that both typists' work is there.)
    const typed = cellSource(sharedDoc(shared.doc).cells.get(0)).toString();
    assert.match(typed, /^[bc]+$/);
    assert.ok(typed.includes('b') && typed.includes('c'));
  });

  test('a truncated or altered backup is refused and leaves no data dir', async () => {
    const good = readFileSync(backupFile);
    const refusals: Array<[string, Buffer, RegExp]> = [];
    refusals.push(['truncated', good.subarray(0, Math.floor(good.length / 2)), /truncated/]);
    const flipped = Buffer.from(good);
    flipped[Math.floor(good.length / 2)]! ^= 0xff;
    refusals.push(['a flipped compressed byte', flipped, /corrupt|truncated/]);
    // Altered content inside a valid gzip stream: only the checksum can tell (a year in the header's date).
    const plain = gunzipSync(good);
    const year = plain.indexOf('"createdAt":"') + '"createdAt":"'.length + 3;
    plain[year] = plain[year] === 0x30 ? 0x31 : 0x30;
    refusals.push(['altered content', gzipSync(plain), /checksum mismatch/]);
    refusals.push(['cut after the last entry', gzipSync(gunzipSync(good).subarray(0, gunzipSync(good).length - 44)), /truncated/]);

    for (const [what, bytes, reason] of refusals) {
      const file = join(work, 'bad.backup');
      writeFileSync(file, bytes);
      const target = join(work, 'from-bad', 'data');
      const outcome = await command('restore', ['--in', file, '--data-dir', target]);
      assert.equal(outcome.code, 1, `${what}: ${outcome.stdout}`);
      assert.match(outcome.stderr, reason, what);
      assert.match(outcome.stderr, /Nothing was written/);
      assert.equal(existsSync(target), false, `${what}: a data dir was left`);
      assert.deepEqual(readdirSync(join(work, 'from-bad')), [], `${what}: the temporary directory was left`);
    }
  });

  test('restore refuses a directory that is not empty; backup works on a stopped data dir', async () => {
    const occupied = join(work, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'keep.txt'), 'mine');
    const refused = await command('restore', ['--in', backupFile, '--data-dir', occupied]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not empty/);
    assert.deepEqual(readdirSync(occupied), ['keep.txt']);

    // The restored server's data dir, once it stops, backs up directly and restores the same.
    const dir = join(work, 'restored');
    await restored!.close();
    restored = undefined;
    const offline = await command('backup', ['--data-dir', dir, '--out', join(work, 'offline.backup')]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /from the stopped data directory/);
    const again = await command('restore', ['--in', join(work, 'offline.backup'), '--data-dir', join(work, 'again')]);
    assert.equal(again.code, 0, again.stderr);
    const count = (text: string) => Number(/(\d+) entries/.exec(text)?.[1]);
    assert.equal(count(again.stdout), count(offline.stdout));

    const missing = await command('backup', ['--data-dir', join(work, 'nothing-here'), '--out', join(work, 'none.backup')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no Cohort database/);
    assert.equal(existsSync(join(work, 'none.backup')), false);
  });
});
