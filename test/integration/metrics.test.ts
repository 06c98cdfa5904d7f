// `GET /metrics`: Prometheus text for the metrics token only (not users' tokens, not the admin's),
// off without one, and its series move with what happens: a cell run (execution latency, store
// writes, kernels by state), connections, a refused write, a join, a kernel quota.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { sharedRoom } from '../../shared/rooms.ts';
import { notebookOf } from '../../shared/schema.ts';
import { connectDoc } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

const METRICS_TOKEN = 'metrics-test-secret';

/** `name{labels} value` lines → a lookup by the series as written (`name{a="b"}`). */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function scrape(s: TestServer, token = METRICS_TOKEN): Promise<Map<string, number>> {
  const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}


describe('GET /metrics', { timeout: 120_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ metricsToken: METRICS_TOKEN, maxKernelsPerUser: 1, baseUrl: '/cohort/', joinAttemptsPerMinute: 2, maxMessageBytes: 64 * 1024 });
  });
  after(() => s?.close());

  test('answers the metrics token only, under the base URL', async () => {
    const status = async (headers: Record<string, string>, path = '/metrics') => (await fetch(`${s.url}${path}`, { headers })).status;
    assert.equal(await status({}), 401);
    assert.equal(await status({ authorization: 'Bearer wrong' }), 401);
    assert.equal(await status({ authorization: `Bearer ${s.adminToken}` }), 401, 'the admin token is not the metrics token');
    assert.equal(await status({}, `/metrics?token=${METRICS_TOKEN}`), 401, 'never in a URL');
    assert.equal(await status({ authorization: `Bearer ${METRICS_TOKEN}` }), 200);
    const origin = s.url.slice(0, -'/cohort'.length);
    assert.equal((await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404);
  });

  test('a cell run moves the execution, store and kernel series', async () => {
    const api = s.api(s.adminToken);
    const { body: nb } = await api<{ id: string }>('POST', '/api/notebooks', { name: 'Measured', notebook: notebookOf([code('c1', '6 * 7')]) });
    const before = await scrape(s);
    const runs = (key: Map<string, number>) => key.get('cohort_execution_seconds_count{scope="user",status="ok"}') ?? 0;
    const writes = (key: Map<string, number>) => key.get('cohort_store_write_seconds_count') ?? 0;
    assert.equal(before.get('cohort_kernels{state="idle",provider="local"}'), undefined);

    const res = await api<{ runs: Array<{ status: string }> }>('POST', `/api/notebooks/${nb.id}/execute?wait=true`, { cellIds: ['c1'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.runs[0]?.status, 'ok');

    const after = await scrape(s);
    assert.equal(runs(after), runs(before) + 1);
    assert.ok((after.get('cohort_execution_seconds_sum{scope="user",status="ok"}') ?? 0) > 0);
    assert.ok(writes(after) > writes(before), 'the run stored outputs: the store write histogram moved');
    assert.equal(after.get('cohort_kernels{state="idle",provider="local"}'), 1);
    assert.ok(after.has('nodejs_eventloop_lag_p99_seconds'), 'event-loop delay is exported');

    // A second notebook needs a second kernel: over this user's quota of one.
    const { body: nb2 } = await api<{ id: string }>('POST', '/api/notebooks', { name: 'Over quota', notebook: notebookOf([code('c1', '1')]) });
    const refused = await api('POST', `/api/notebooks/${nb2.id}/execute`, { cellIds: ['c1'] });
    assert.equal(refused.status, 429);
    assert.equal((await scrape(s)).get('cohort_quota_hits_total{quota="kernels_per_user"}'), 1);
  });

  test('connections, loaded rooms, refused writes and joins', async () => {
    const api = s.api(s.adminToken);
    const viewer = await s.createUser('vera');
    const { body: nb } = await api<{ id: string }>('POST', '/api/notebooks', { name: 'Watched' });
    await api('PUT', `/api/notebooks/${nb.id}/members/${viewer.id}`, { role: 'viewer' });
    const base = await scrape(s);
    assert.equal(base.get('cohort_refused_writes_total'), 0);
    assert.equal(base.get('cohort_joins_total{result="joined"}'), 0);

    const client = connectDoc(s.wsUrl, sharedRoom(nb.id), viewer.token);
    try {
      await client.synced();
      const connected = await scrape(s);
      assert.equal(connected.get('cohort_connected_clients'), (base.get('cohort_connected_clients') ?? 0) + 1);
      assert.ok((connected.get('cohort_loaded_rooms') ?? 0) >= 1);
      // A viewer's edit is refused, and counted.
      client.doc.getMap('metadata').set('x', new Y.Text('nope'));
      await eventually(async () => (await scrape(s)).get('cohort_refused_writes_total') === 1, { message: 'refused write not counted' });
    } finally {
      client.destroy();
    }
    await eventually(async () => (await scrape(s)).get('cohort_connected_clients') === base.get('cohort_connected_clients'), {
      message: 'the closed connection is still counted',
    });

    const { body: session } = await api<{ code: string }>('POST', `/api/notebooks/${nb.id}/session`);
    const join = (code: string) =>
      fetch(`${s.url}/api/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Guest' }) });
    assert.equal((await join('ZZZZZZZ')).status, 404);
    assert.equal((await join(session.code)).status, 200);
    const joined = await scrape(s);
    assert.equal(joined.get('cohort_joins_total{result="refused"}'), 1);
    assert.equal(joined.get('cohort_joins_total{result="joined"}'), 1);
    // Two failures a minute are allowed; the third attempt is refused by the limit.
    assert.equal((await join('ZZZZZZZ')).status, 404);
    assert.equal((await join('ZZZZZZZ')).status, 429);
    const limited = await scrape(s);
    assert.equal(limited.get('cohort_joins_total{result="rate_limited"}'), 1);
    assert.equal(limited.get('cohort_quota_hits_total{quota="join_rate"}'), 1);
  });

  test('a WebSocket message over --max-message-bytes counts as a quota hit', async () => {
    const { body: nb } = await s.api(s.adminToken)<{ id: string }>('POST', '/api/notebooks', { name: 'Big message' });
    const ws = new WebSocket(`${s.wsUrl}/${nb.id}?token=${s.adminToken}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(new Uint8Array(100 * 1024));
    assert.equal(await closed, 1009);
    await eventually(async () => (await scrape(s)).get('cohort_quota_hits_total{quota="message_size"}') === 1, { message: 'not counted' });
  });
});

test('without a metrics token there is no /metrics', async () => {
  const s = await startTestServer();
  try {
    const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /metrics-token/);
  } finally {
    await s.close();
  }
});
