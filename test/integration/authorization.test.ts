// The authorization matrix: every REST route (read from the express router, so a new route without
// a row fails) and every kind of room, asked by each kind of caller, against a table written out
// in full below. Real server, real kernels, real LevelDB. A mismatch prints both tables.
//
// Cells: a status (2xx/3xx), `status:code` for an error (the JSON error code), and for rooms the
// close code, `r` (syncs, its writes are not stored) or `rw` (its writes are stored). The two
// "while connected" callers show what happened to an open connection: `before→close code→after`
// (after = a fresh connection once the event happened).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import { handinsRoom, hiddenRoom, privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { privateDoc } from '../../shared/layout.ts';
import { eventually } from '../helpers/eventually.ts';
import { RoomProbe } from '../helpers/roomProbe.ts';
import { listRoutes } from '../helpers/routes.ts';
import type { TestServer } from '../helpers/server.ts';
import { apiClient, startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

const ACTORS = ['anonymous', 'non-member', 'viewer', 'runner', 'editor', 'owner', 'guest', 'guest-after-end', 'removed-member'] as const;
type Actor = (typeof ACTORS)[number];

// Shorthands for the table.
const U = '401:unauthorized';
const NF = '404:notebook_not_found';
const F = '403:forbidden';
const GC = '403:guest_confined';
const NK = '404:no_such_kernel';
const NW = '404:widget_not_found';
const WM = '404:widget_module_not_found';
const KNF = '404:kernel_not_found';
const FNF = '404:not_found';
const UM = '415:unsupported_media_type';
const all = (cell: string) => Array(ACTORS.length).fill(cell).join(' ');

//                                                    anon non-member viewer runner editor owner guest guest-after-end removed
const EXPECTED_REST: Record<string, string> = {
  'GET /api/health':                                   all('200'),
  'GET /login':                                        `401 303 303 303 303 303 303 401 303`,
  'POST /login':                                       `401 303 303 303 303 303 303 401 303`,
  'POST /api/login':                                   `400:token_required 200 200 200 200 200 200 401:bad_token 200`,
  'POST /api/logout':                                  all('204'),
  'GET /api/me':                                       `${U} 200 200 200 200 200 200 ${U} 200`,
  'POST /api/users':                                   `${U} ${F} ${F} ${F} ${F} ${F} ${GC} ${U} ${F}`,
  'GET /api/users':                                    `${U} ${F} ${F} ${F} ${F} ${F} ${GC} ${U} ${F}`,
  'GET /api/users/suggest':                            `${U} 200 200 200 200 200 ${GC} ${U} 200`,
  'PATCH /api/users/:userId':                          `${U} ${F} ${F} ${F} ${F} ${F} ${GC} ${U} ${F}`,
  'DELETE /api/users/:userId':                         `${U} ${F} ${F} ${F} ${F} ${F} ${GC} ${U} ${F}`,
  'GET /api/notebooks':                                `${U} 200 200 200 200 200 200 ${U} 200`,
  'POST /api/notebooks':                               `${U} 201 201 201 201 201 ${GC} ${U} 201`,
  'GET /api/notebooks/:id':                            `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'PATCH /api/notebooks/:id':                          `${U} ${NF} ${F} ${F} 200 200 ${F} ${U} ${NF}`,
  'DELETE /api/notebooks/:id':                         `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'PUT /api/notebooks/:id/members/:userId':            `${U} ${NF} ${F} ${F} ${F} 200 ${GC} ${U} ${NF}`,
  'DELETE /api/notebooks/:id/members/:userId':         `${U} ${NF} ${F} ${F} ${F} 204 ${GC} ${U} ${NF}`,
  'GET /api/notebooks/:id/export':                     `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'POST /api/notebooks/:id/execute':                   `${U} ${NF} ${F} 200 200 200 200 ${U} ${NF}`,
  'GET /api/notebooks/:id/kernel':                     `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'GET /api/notebooks/:id/kernel (shared)':            `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'POST /api/notebooks/:id/stdin':                     `${U} ${NF} 409:no_input_pending 204 204 204 204 ${U} ${NF}`,
  'POST /api/notebooks/:id/cells/:cellId/publish':     `${U} ${NF} ${F} 201 201 201 201 ${U} ${NF}`,
  'POST /api/notebooks/:id/widgets/:modelId/messages': `${U} ${NF} ${NW} 202 202 202 202 ${U} ${NF}`,
  'POST /api/notebooks/:id/widgets/:modelId/messages (another user\'s widget)': `${U} ${NF} ${NW} ${NW} ${NW} ${NW} ${NW} ${U} ${NF}`,
  'POST /api/notebooks/:id/widgets/:modelId/messages (shared widget)': `${U} ${NF} ${F} ${F} 202 202 ${F} ${U} ${NF}`,
  'GET /api/kernels':                                  `${U} 200 200 200 200 200 ${GC} ${U} 200`,
  'GET /api/kernels (one notebook)':                   `${U} ${NF} 200 200 200 200 ${GC} ${U} ${NF}`,
  'POST /api/kernels/:kernelId/interrupt (the runner\'s kernel)': `${U} ${KNF} ${KNF} 204 ${KNF} 204 ${GC} ${U} ${KNF}`,
  'POST /api/kernels/:kernelId/restart (the owner\'s kernel)':   `${U} ${KNF} ${KNF} ${KNF} ${KNF} 204 ${GC} ${U} ${KNF}`,
  'POST /api/notebooks/:id/kernel/interrupt':          `${U} ${NF} ${NK} 204 204 204 204 ${U} ${NF}`,
  'POST /api/notebooks/:id/kernel/interrupt (shared)': `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'POST /api/notebooks/:id/kernel/restart':            `${U} ${NF} ${NK} 204 204 204 204 ${U} ${NF}`,
  'POST /api/notebooks/:id/kernel/restart (shared)':   `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'DELETE /api/notebooks/:id/kernel':                  `${U} ${NF} ${NK} 204 204 204 204 ${U} ${NF}`,
  'DELETE /api/notebooks/:id/kernel (shared)':         `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'DELETE /api/kernels/:kernelId (the owner\'s kernel)': `${U} ${KNF} ${KNF} ${KNF} ${KNF} 204 ${GC} ${U} ${KNF}`,
  'POST /api/notebooks/:id/session':                   `${U} ${NF} ${F} ${F} ${F} 200 ${F} ${U} ${NF}`,
  'GET /api/notebooks/:id/session':                    `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'DELETE /api/notebooks/:id/session':                 `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'POST /api/join':                                    all('200'),
  'POST /api/notebooks/:id/session/hide':              `${U} ${NF} ${F} ${F} 200 200 ${F} ${U} ${NF}`,
  'POST /api/notebooks/:id/session/reveal':            `${U} ${NF} ${F} ${F} 200 200 ${F} ${U} ${NF}`,
  'GET /api/notebooks/:id/session/hidden':             `${U} ${NF} ${F} ${F} 200 200 ${F} ${U} ${NF}`,
  'GET /api/notebooks/:id/session/roster':             `${U} ${NF} ${F} ${F} ${F} 200 ${F} ${U} ${NF}`,
  'POST /api/notebooks/:id/session/spotlight':         `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'POST /api/notebooks/:id/session/options':           `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'DELETE /api/notebooks/:id/session/handins':         `${U} ${NF} ${F} ${F} ${F} 204 ${F} ${U} ${NF}`,
  'GET /api/notebooks/:id/cells/:cellId/mine':         `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'GET /api/files{/*path}':                            `${U} 200 200 200 200 200 200 ${U} 200`,
  'PUT /api/files/*path':                              `${U} 201 201 201 201 201 201 ${U} 201`,
  'POST /api/files{/*path}':                           `${U} 201 201 201 201 201 201 ${U} 201`,
  'PATCH /api/files/*path':                            `${U} ${FNF} ${FNF} ${FNF} ${FNF} ${FNF} ${FNF} ${U} ${FNF}`,
  'DELETE /api/files/*path':                           `${U} ${FNF} ${FNF} ${FNF} ${FNF} ${FNF} ${FNF} ${U} ${FNF}`,
  'GET /api/notebooks/:id/files{/*path}':              `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'PUT /api/notebooks/:id/files/*path':                `${U} ${NF} ${F} ${F} 201 201 ${F} ${U} ${NF}`,
  'POST /api/notebooks/:id/files{/*path}':             `${U} ${NF} ${F} ${F} 201 201 ${F} ${U} ${NF}`,
  'PATCH /api/notebooks/:id/files/*path':              `${U} ${NF} ${F} ${F} ${FNF} ${FNF} ${F} ${U} ${NF}`,
  'DELETE /api/notebooks/:id/files/*path':             `${U} ${NF} ${F} ${F} ${FNF} ${FNF} ${F} ${U} ${NF}`,
  'POST /api/notebooks/import':                        `${U} ${UM} ${UM} ${UM} ${UM} ${UM} ${GC} ${U} ${UM}`,
  'GET /api/notebooks/:id/export (zip)':               `${U} ${NF} 200 200 200 200 200 ${U} ${NF}`,
  'GET /widget-modules/*path':                         `${U} 200 200 200 200 200 200 ${U} 200`,
  'GET /widget-modules/*path (not installed)':         `${U} ${WM} ${WM} ${WM} ${WM} ${WM} ${WM} ${U} ${WM}`,
  'GET /index.html':                                   all('200'),
  'GET /.*/':                                          all('200'),
};

//                      anon non-member viewer runner editor owner guest guest-after-end removed
const EXPECTED_ROOMS: Record<string, string> = {
  shared:            `4401 4403 r    r    rw   rw   r    r→4410→4401    r→4410→4403`,
  'private own':     `4401 4403 r    rw   rw   rw   rw   rw→4410→4401   rw→4410→4403`,
  "private other's": `4401 4403 4403 4403 4403 4403 4403 4403→4401      4403→4403`,
  hidden:            `4401 4403 4403 4403 rw   rw   4403 4403→4401      4403→4403`,
  handins:           `4401 4403 4403 4403 r    r    4403 4403→4401      4403→4403`,
};

interface Person {
  id: string;
  token: string;
}

/** A notebook with one caller of each kind (tokens; anonymous has none). */
interface World {
  nb: string;
  code: string;
  people: Record<Exclude<Actor, 'anonymous'>, Person>;
}

interface Request {
  method: string;
  path: string;
  body?: unknown;
  /** Form fields (urlencoded) instead of JSON. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Send the caller's token as a bearer header (default); sign-in routes carry it in the request instead. */
  bearer?: boolean;
}

interface Row {
  /** A key of EXPECTED_REST: the route as the router spells it, plus a variant in parentheses. */
  key: string;
  /** The request changes the world: each caller gets a world of its own. */
  fresh?: boolean;
  prepare?(world: World, actor: Actor, token: string | undefined): Promise<void>;
  request(world: World, actor: Actor, token: string | undefined): Request;
}


const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    code('u', 'print("hello")'),
    code('w', 'import ipywidgets as w\nb = w.Button(description="mine")\nb'),
    code('sw', 'import ipywidgets as w\nsb = w.Button(description="ours")\nsb', 'shared'),
    code('ask', 'answer = input("? ")'),
    code('h1', 'later = 1'),
  ],
};

/** Prints expected and actual side by side, marking each differing cell. */
function table(title: string, rows: string[], expected: Record<string, string[]>, actual: Record<string, string[]>): string {
  const width = Math.max(...rows.map((r) => r.length));
  const cellWidth = Math.max(
    ...ACTORS.map((a) => a.length),
    ...rows.flatMap((r) => [...(expected[r] ?? []), ...(actual[r] ?? [])].map((c) => c.length + 2)),
  );
  const line = (label: string, cells: string[]) => `${label.padEnd(width)} | ${cells.map((c) => c.padEnd(cellWidth)).join(' ')}`;
  const out = [title, line('', [...ACTORS])];
  for (const row of rows) {
    const want = expected[row] ?? [];
    const got = actual[row] ?? [];
    out.push(line(row, got.map((cell, i) => (cell === want[i] ? cell : `✗ ${cell}`))));
    if (got.some((cell, i) => cell !== want[i])) out.push(line('  expected', want));
  }
  return out.join('\n');
}

const cells = (s: string) => s.trim().split(/\s+/);

describe('authorization matrix', { timeout: 600_000 }, () => {
  let t: TestServer;
  let owner: Person;
  let staff: Record<'editor' | 'viewer' | 'runner' | 'non-member' | 'removed-member', Person>;
  let main: World;
  const probes: RoomProbe[] = [];
  /** Room outcomes of the two "while connected" callers, recorded as the events happen. */
  const whileConnected = new Map<string, string>();
  let sharedWidget: string;
  /** An account the admin-only account rows aim at (none of the callers may touch it). */
  let victim: Person;
  let ownerKernelAgain: Promise<void> | undefined;
  const widgetOf = new Map<string, string>();

  const api = (token: string | undefined) => apiClient(t.url, token ?? '');
  const probe = (room: string, token: string | undefined) => {
    const p = new RoomProbe(t.wsUrl, room, token);
    probes.push(p);
    return p;
  };

  /** Opens each kind of room as a caller, then after `event` reports `before→close→after`. */
  async function roomsAcrossEvent(world: World, who: Person, label: string, event: () => Promise<void>): Promise<void> {
    const rooms = roomsFor(world, label === 'guest-after-end' ? 'guest-after-end' : 'removed-member', who);
    const before = await Promise.all(
      Object.entries(rooms).map(async ([kind, room]) => {
        const p = probe(room, who.token);
        return { kind, room, p, outcome: await p.outcome(t.server.rooms, `${label}-before`) };
      }),
    );
    await event();
    for (const { kind, room, p, outcome } of before) {
      const connected = outcome === 'r' || outcome === 'rw';
      const closedWith = connected ? String(await p.closed) : undefined;
      const afterwards = await probe(room, who.token).outcome(t.server.rooms, `${label}-after`);
      whileConnected.set(`${kind}/${label}`, [outcome, closedWith, afterwards].filter((x) => x !== undefined).join('→'));
    }
  }

  function roomsFor(world: World, actor: Actor, who: Person | undefined): Record<string, string> {
    const other = actor === 'runner' ? world.people.editor : world.people.runner;
    return {
      shared: sharedRoom(world.nb),
      'private own': privateRoom(world.nb, who?.id ?? 'nobody'),
      "private other's": privateRoom(world.nb, other.id),
      hidden: hiddenRoom(world.nb),
      handins: handinsRoom(world.nb),
    };
  }

  /**
   * A notebook with members of each role, a guest of an ended session, a guest of the live one
   * and a member who was removed. `connected` records the rooms of the two "while connected"
   * callers across their events (the main world only).
   */
  async function buildWorld(connected = false): Promise<World> {
    const o = api(owner.token);
    const nb = (await o<{ id: string }>('POST', '/api/notebooks', { name: 'matrix', notebook: NOTEBOOK })).body.id;
    for (const [who, role] of [['editor', 'editor'], ['viewer', 'viewer'], ['runner', 'runner'], ['removed-member', 'runner']] as const) {
      const res = await o('PUT', `/api/notebooks/${nb}/members/${staff[who].id}`, { role });
      assert.equal(res.status, 200);
    }
    const join = async (joinCode: string, name: string): Promise<Person> => {
      const res = await api(undefined)<{ user: { id: string }; token: string }>('POST', '/api/join', { code: joinCode, name });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { id: res.body.user.id, token: res.body.token };
    };
    const first = (await o<{ code: string }>('POST', `/api/notebooks/${nb}/session`)).body.code;
    const ended = await join(first, 'early student');
    const partial = { nb, code: first, people: { ...staff, owner, 'guest-after-end': ended } } as World;
    const endSession = async () => {
      assert.equal((await o('DELETE', `/api/notebooks/${nb}/session`)).status, 204);
    };
    if (connected) await roomsAcrossEvent(partial, ended, 'guest-after-end', endSession);
    else await endSession();
    const live = (await o<{ code: string }>('POST', `/api/notebooks/${nb}/session`)).body.code;
    const guest = await join(live, 'student');
    const world: World = { nb, code: live, people: { ...staff, owner, guest, 'guest-after-end': ended } };
    const remove = async () => {
      assert.equal((await o('DELETE', `/api/notebooks/${nb}/members/${staff['removed-member'].id}`)).status, 204);
    };
    if (connected) await roomsAcrossEvent(world, staff['removed-member'], 'removed-member', remove);
    else await remove();
    return world;
  }

  const tokenOf = (world: World, actor: Actor) => (actor === 'anonymous' ? undefined : world.people[actor].token);
  const run = async (world: World, token: string, cellId: string) => {
    const res = await api(token)<{ runs: Array<{ status: string }> }>('POST', `/api/notebooks/${world.nb}/execute?wait=true`, { cellIds: [cellId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.runs[0]?.status, 'ok', JSON.stringify(res.body));
  };
  const buttonIn = async (room: string): Promise<string> => {
    const lease = await t.server.rooms.acquire(room);
    try {
      const widgets = lease.room.doc.getMap<Y.Map<unknown>>('widgets');
      const found = [...widgets.entries()].find(([, m]) => m.get('model_name') === 'ButtonModel');
      assert.ok(found, `no Button in ${room}`);
      return found[0];
    } finally {
      lease.release();
    }
  };
  const runners = ['runner', 'editor', 'owner', 'guest'] as const;
  /** The id of `who`'s kernel on the world's notebook, read when the request is made. */
  const kernelOf = (world: World, who: Exclude<Actor, 'anonymous'>): string =>
    t.server.kernels.list().find(({ key }) => !key.shared && key.notebookId === world.nb && key.userId === world.people[who].id)?.kernel.id ??
    'no-such-kernel';

  const ROWS: Row[] = [
    { key: 'GET /api/health', request: () => ({ method: 'GET', path: '/api/health' }) },
    {
      key: 'GET /login',
      request: (_w, _a, token) => ({ method: 'GET', path: `/login?token=${encodeURIComponent(token ?? '')}`, headers: { 'sec-fetch-site': 'none' }, bearer: false }),
    },
    {
      key: 'POST /login',
      request: (_w, _a, token) => ({ method: 'POST', path: '/login', form: { token: token ?? '' }, headers: { origin: t.url }, bearer: false }),
    },
    { key: 'POST /api/login', request: (_w, _a, token) => ({ method: 'POST', path: '/api/login', body: { token: token ?? '' }, bearer: false }) },
    { key: 'POST /api/logout', request: () => ({ method: 'POST', path: '/api/logout' }) },
    { key: 'GET /api/me', request: () => ({ method: 'GET', path: '/api/me' }) },
    { key: 'POST /api/users', request: (_w, a) => ({ method: 'POST', path: '/api/users', body: { name: `made by ${a}` } }) },
    { key: 'GET /api/users', request: () => ({ method: 'GET', path: '/api/users' }) },
    { key: 'GET /api/users/suggest', request: () => ({ method: 'GET', path: '/api/users/suggest?q=o' }) },
    { key: 'PATCH /api/users/:userId', request: () => ({ method: 'PATCH', path: `/api/users/${victim.id}`, body: { disabled: true } }) },
    { key: 'DELETE /api/users/:userId', request: () => ({ method: 'DELETE', path: `/api/users/${victim.id}` }) },
    { key: 'GET /api/notebooks', request: () => ({ method: 'GET', path: '/api/notebooks' }) },
    { key: 'POST /api/notebooks', request: () => ({ method: 'POST', path: '/api/notebooks', body: { name: 'mine' } }) },
    { key: 'GET /api/notebooks/:id', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}` }) },
    { key: 'PATCH /api/notebooks/:id', request: (w) => ({ method: 'PATCH', path: `/api/notebooks/${w.nb}`, body: { name: 'renamed' } }) },
    { key: 'DELETE /api/notebooks/:id', fresh: true, request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}` }) },
    {
      key: 'PUT /api/notebooks/:id/members/:userId',
      fresh: true,
      request: (w) => ({ method: 'PUT', path: `/api/notebooks/${w.nb}/members/${w.people['non-member'].id}`, body: { role: 'viewer' } }),
    },
    {
      key: 'DELETE /api/notebooks/:id/members/:userId',
      fresh: true,
      request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}/members/${w.people.viewer.id}` }),
    },
    { key: 'GET /api/notebooks/:id/export', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/export?format=ipynb` }) },
    {
      key: 'POST /api/notebooks/:id/execute',
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/execute?wait=true`, body: { cellIds: ['u'] } }),
    },
    { key: 'GET /api/notebooks/:id/kernel', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/kernel` }) },
    { key: 'GET /api/notebooks/:id/kernel (shared)', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/kernel?scope=shared` }) },
    {
      key: 'POST /api/notebooks/:id/stdin',
      // Who may run asks for input first, so that answering it is possible at all.
      prepare: async (w, a, token) => {
        if (!(runners as readonly string[]).includes(a)) return;
        const res = await api(token)('POST', `/api/notebooks/${w.nb}/execute`, { cellIds: ['ask'] });
        assert.equal(res.status, 202);
        const room = privateRoom(w.nb, w.people[a as (typeof runners)[number]].id);
        await eventually(async () => {
          const lease = await t.server.rooms.acquire(room);
          try {
            return privateDoc(lease.room.doc).stdin.get('request') !== undefined;
          } finally {
            lease.release();
          }
        }, { timeoutMs: 120_000, message: `no input prompt for ${a}` });
      },
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/stdin`, body: { value: '42' } }),
    },
    { key: 'POST /api/notebooks/:id/cells/:cellId/publish', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/cells/u/publish` }) },
    {
      key: 'POST /api/notebooks/:id/widgets/:modelId/messages',
      // Callers with a widget of their own click it; the others try the runner's.
      request: (w, a) => ({
        method: 'POST',
        path: `/api/notebooks/${w.nb}/widgets/${widgetOf.get(a) ?? widgetOf.get('runner')}/messages`,
        body: { content: { event: 'click' } },
      }),
    },
    {
      key: "POST /api/notebooks/:id/widgets/:modelId/messages (another user's widget)",
      request: (w, a) => ({
        method: 'POST',
        path: `/api/notebooks/${w.nb}/widgets/${widgetOf.get(a === 'runner' ? 'editor' : 'runner')}/messages`,
        body: { content: { event: 'click' } },
      }),
    },
    {
      key: 'POST /api/notebooks/:id/widgets/:modelId/messages (shared widget)',
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/widgets/${sharedWidget}/messages`, body: { content: { event: 'click' } } }),
    },
    { key: 'GET /api/kernels', request: () => ({ method: 'GET', path: '/api/kernels' }) },
    { key: 'GET /api/kernels (one notebook)', request: (w) => ({ method: 'GET', path: `/api/kernels?notebook=${w.nb}` }) },
    {
      // Its user and the notebook's owner control a kernel; nobody else learns it exists.
      key: "POST /api/kernels/:kernelId/interrupt (the runner's kernel)",
      request: (w) => ({ method: 'POST', path: `/api/kernels/${kernelOf(w, 'runner')}/interrupt` }),
    },
    {
      key: "POST /api/kernels/:kernelId/restart (the owner's kernel)",
      request: (w) => ({ method: 'POST', path: `/api/kernels/${kernelOf(w, 'owner')}/restart` }),
    },
    { key: 'POST /api/notebooks/:id/kernel/interrupt', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/kernel/interrupt` }) },
    {
      key: 'POST /api/notebooks/:id/kernel/interrupt (shared)',
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/kernel/interrupt?scope=shared` }),
    },
    { key: 'POST /api/notebooks/:id/kernel/restart', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/kernel/restart` }) },
    {
      key: 'POST /api/notebooks/:id/kernel/restart (shared)',
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/kernel/restart?scope=shared` }),
    },
    { key: 'DELETE /api/notebooks/:id/kernel', request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}/kernel` }) },
    { key: 'DELETE /api/notebooks/:id/kernel (shared)', request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}/kernel?scope=shared` }) },
    {
      key: "DELETE /api/kernels/:kernelId (the owner's kernel)",
      // The rows above stopped every kernel: the owner starts one again (once, for all callers).
      prepare: async (w) => {
        ownerKernelAgain ??= run(w, owner.token, 'u');
        await ownerKernelAgain;
      },
      request: (w) => ({ method: 'DELETE', path: `/api/kernels/${kernelOf(w, 'owner')}` }),
    },
    { key: 'POST /api/notebooks/:id/session', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/session` }) },
    { key: 'GET /api/notebooks/:id/session', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/session` }) },
    { key: 'DELETE /api/notebooks/:id/session', fresh: true, request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}/session` }) },
    { key: 'POST /api/join', fresh: true, request: (w, a) => ({ method: 'POST', path: '/api/join', body: { code: w.code, name: `joiner ${a}` } }) },
    {
      key: 'POST /api/notebooks/:id/session/hide',
      fresh: true,
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/session/hide`, body: { fromCellId: 'h1' } }),
    },
    { key: 'POST /api/notebooks/:id/session/reveal', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/session/reveal` }) },
    { key: 'GET /api/notebooks/:id/session/hidden', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/session/hidden` }) },
    { key: 'GET /api/notebooks/:id/session/roster', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/session/roster` }) },
    { key: 'POST /api/notebooks/:id/session/spotlight', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/session/spotlight`, body: {} }) },
    {
      key: 'POST /api/notebooks/:id/session/options',
      request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/session/options`, body: { handinsVisible: false } }),
    },
    { key: 'DELETE /api/notebooks/:id/session/handins', request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}/session/handins` }) },
    { key: 'GET /api/notebooks/:id/cells/:cellId/mine', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/cells/u/mine` }) },
    // Files: my files to anyone signed in (their own home); notebook files as cells (editors write).
    { key: 'GET /api/files{/*path}', request: () => ({ method: 'GET', path: '/api/files' }) },
    { key: 'PUT /api/files/*path', request: () => ({ method: 'PUT', path: '/api/files/empty.txt', headers: { 'content-type': 'application/octet-stream' } }) },
    { key: 'POST /api/files{/*path}', request: () => ({ method: 'POST', path: '/api/files/sub', form: { no: 'files' } }) },
    { key: 'PATCH /api/files/*path', request: () => ({ method: 'PATCH', path: '/api/files/missing.txt', body: { path: 'other.txt' } }) },
    { key: 'DELETE /api/files/*path', request: () => ({ method: 'DELETE', path: '/api/files/missing.txt' }) },
    { key: 'GET /api/notebooks/:id/files{/*path}', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/files` }) },
    {
      key: 'PUT /api/notebooks/:id/files/*path',
      request: (w) => ({ method: 'PUT', path: `/api/notebooks/${w.nb}/files/empty.txt`, headers: { 'content-type': 'application/octet-stream' } }),
    },
    { key: 'POST /api/notebooks/:id/files{/*path}', request: (w) => ({ method: 'POST', path: `/api/notebooks/${w.nb}/files`, form: { no: 'files' } }) },
    { key: 'PATCH /api/notebooks/:id/files/*path', request: (w) => ({ method: 'PATCH', path: `/api/notebooks/${w.nb}/files/missing.txt`, body: { path: 'other.txt' } }) },
    { key: 'DELETE /api/notebooks/:id/files/*path', request: (w) => ({ method: 'DELETE', path: `/api/notebooks/${w.nb}/files/missing.txt` }) },
    { key: 'POST /api/notebooks/import', request: () => ({ method: 'POST', path: '/api/notebooks/import' }) },
    { key: 'GET /api/notebooks/:id/export (zip)', request: (w) => ({ method: 'GET', path: `/api/notebooks/${w.nb}/export?format=zip` }) },
    // Widget libraries' front ends (installed software, the set-up's bqplot): to anyone signed in.
    { key: 'GET /widget-modules/*path', request: () => ({ method: 'GET', path: '/widget-modules/bqplot/index.js' }) },
    { key: 'GET /widget-modules/*path (not installed)', request: () => ({ method: 'GET', path: '/widget-modules/no-such-library/index.js' }) },
    // The page (no data in it: what it shows comes over the API and the sync rooms) to anyone.
    { key: 'GET /index.html', request: () => ({ method: 'GET', path: '/index.html' }) },
    { key: 'GET /.*/', request: () => ({ method: 'GET', path: '/nb/some-page' }) },
  ];

  async function ask(world: World, actor: Actor, row: Row): Promise<string> {
    const token = tokenOf(world, actor);
    await row.prepare?.(world, actor, token);
    const req = row.request(world, actor, token);
    const headers: Record<string, string> = { ...req.headers };
    if (req.bearer !== false && token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    } else if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.body);
    }
    const res = await fetch(t.url + req.path, { method: req.method, headers, body, redirect: 'manual' });
    const text = await res.text();
    if (res.status < 400) return String(res.status);
    try {
      const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      return code ? `${res.status}:${code}` : String(res.status);
    } catch {
      return String(res.status);
    }
  }

  before(async () => {
    t = await startTestServer({ maxNotebooksPerUser: 0, kernelStartTimeoutMs: 120_000 });
    owner = await t.createUser('owner');
    staff = {
      editor: await t.createUser('editor'),
      viewer: await t.createUser('viewer'),
      runner: await t.createUser('runner'),
      'non-member': await t.createUser('outsider'),
      'removed-member': await t.createUser('removed'),
    };
    victim = await t.createUser('victim');
    main = await buildWorld(true);
    // Kernels and widgets the kernel and widget rows act on.
    await run(main, owner.token, 'sw');
    sharedWidget = await buttonIn(sharedRoom(main.nb));
    for (const a of runners) {
      await run(main, main.people[a].token, 'w');
      widgetOf.set(a, await buttonIn(privateRoom(main.nb, main.people[a].id)));
    }
  });

  after(async () => {
    for (const p of probes) p.close();
    await t.close();
  });

  it('every route of the app has a row, and every row a route', () => {
    const routes = listRoutes(t.server.app);
    const rows = ROWS.map((r) => r.key.replace(/ \(.*\)$/, ''));
    assert.deepEqual(
      [...new Set(routes)].filter((r) => !rows.includes(r)),
      [],
      'routes without a row in the matrix: add them with their expected answers',
    );
    assert.deepEqual(rows.filter((r) => !routes.includes(r)), [], 'rows naming no route');
    assert.deepEqual(ROWS.map((r) => r.key).sort(), Object.keys(EXPECTED_REST).sort(), 'every row has an expected line');
  });

  it('REST: every route × every caller', async () => {
    const actual: Record<string, string[]> = {};
    // Rows in order (later rows rely on earlier ones: runs before publishing, kernels stopped last);
    // the callers of one row at once, as they do not depend on each other.
    for (const row of ROWS) {
      actual[row.key] = await Promise.all(ACTORS.map(async (actor) => ask(row.fresh ? await buildWorld() : main, actor, row)));
    }
    const expected = Object.fromEntries(Object.entries(EXPECTED_REST).map(([k, v]) => [k, cells(v)]));
    assert.ok(
      ROWS.every((r) => JSON.stringify(actual[r.key]) === JSON.stringify(expected[r.key])),
      `\n${table('REST (✗ = differs; the expected line follows)', ROWS.map((r) => r.key), expected, actual)}`,
    );
  });

  it('rooms: every kind of room × every caller', async () => {
    const kinds = Object.keys(EXPECTED_ROOMS);
    const actual: Record<string, string[]> = Object.fromEntries(kinds.map((k) => [k, [] as string[]]));
    for (const actor of ACTORS) {
      if (actor === 'guest-after-end' || actor === 'removed-member') {
        for (const kind of kinds) actual[kind]!.push(whileConnected.get(`${kind}/${actor}`) ?? 'not recorded');
        continue;
      }
      const token = tokenOf(main, actor);
      const who = actor === 'anonymous' ? undefined : main.people[actor];
      for (const [kind, room] of Object.entries(roomsFor(main, actor, who))) {
        actual[kind]!.push(await probe(room, token).outcome(t.server.rooms, actor));
      }
    }
    const expected = Object.fromEntries(Object.entries(EXPECTED_ROOMS).map(([k, v]) => [k, cells(v)]));
    assert.ok(
      kinds.every((k) => JSON.stringify(actual[k]) === JSON.stringify(expected[k])),
      `\n${table('rooms (✗ = differs; the expected line follows)', kinds, expected, actual)}`,
    );
  });
});
