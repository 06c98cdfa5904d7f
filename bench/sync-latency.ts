// N clients, each typing ~5 characters per second into its own cell through the stock
// WebsocketProvider: how long until every other client sees each keystroke, and how much CPU the
// server spends. Reference: the y-websocket 2.x server (bin/utils.cjs) under the same load. Both
// servers run as child processes so their CPU is read from /proc apart from the clients'.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../server/config.ts';
import { sharedRoom } from '../shared/rooms.ts';
import { cellSource, createCellMap } from '../shared/schema.ts';
import { sharedDoc } from '../shared/layout.ts';
import { connectDoc } from '../test/helpers/clients.ts';
import type { DocClient } from '../test/helpers/clients.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import type { BenchUser, CohortHandle } from './lib/cohort.ts';
import type { LightWriter } from './lib/lightClient.ts';
import { lightWriter } from './lib/lightClient.ts';
import { addMember, codeCell, createNotebook, createUser, notebookOf, spawnCohort, stopChild } from './lib/cohort.ts';
import { benchDir, cpuSeconds, freePort, sleep, waitFor } from './lib/procs.ts';
import type { Summary } from './lib/stats.ts';
import { fmt, fmtSummary, ratio, summarize, table } from './lib/stats.ts';

const CHARS_PER_SECOND = 5;

interface Target {
  server: CohortHandle;
  /** Room name and token for client i. */
  roomFor(i: number): { room: string; token: string };
  /** Makes the N cells exist (Cohort: already in the notebook; reference: client 0 adds them). */
  seed(first: DocClient): void;
}

/** The y-websocket 2.x reference server as a child process; `bin/server.cjs` with HOST / PORT. */
async function spawnYWebsocket(): Promise<CohortHandle> {
  const require = createRequire(join(projectRoot, 'package.json'));
  // Only `bin/utils` is exported; the server script sits beside it.
  const script = join(dirname(require.resolve('y-websocket-v2/bin/utils')), 'server.cjs');
  const port = await freePort();
  const child = spawn(process.execPath, [script], { env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  await waitFor(() => {
    if (exited) throw new Error(`y-websocket server exited:\n${out}`);
    return out.includes('running at');
  }, 15_000, 'y-websocket server to listen', 20);
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child, exit, () => exited) };
}

interface LoadResult {
  latency: Summary;
  /** Server CPU seconds per wall second during the measured window. */
  cpuShare: number;
  /** The same for this (client) process: near 100% means the clients, not the server, set the pace. */
  clientCpuShare: number;
  edits: number;
  missing: number;
}

/** Clients that observe every cell and measure; the rest are light writers (see lightClient.ts). */
const OBSERVERS = 8;

async function runLoad(target: Target, n: number, warmupMs: number, measureMs: number): Promise<LoadResult> {
  const clients: DocClient[] = [];
  const writers: LightWriter[] = [];
  try {
    const observers = Math.min(n, OBSERVERS);
    for (let i = 0; i < observers; i++) {
      const { room, token } = target.roomFor(i);
      clients.push(connectDoc(target.server.wsUrl, room, token));
    }
    await Promise.all(clients.map((c) => c.synced(30_000)));
    target.seed(clients[0]!);
    await waitFor(() => clients.every((c) => sharedDoc(c.doc).cells.length === n), 30_000, `all clients to see ${n} cells`, 20);
    for (let i = observers; i < n; i++) {
      const { room, token } = target.roomFor(i);
      writers.push(await lightWriter(target.server.wsUrl, room, token));
    }
    const docs = [...clients.map((c) => c.doc), ...writers.map((w) => w.doc)];

    // sendTimes[i][k]: when writer i typed its k-th character (performance.now(), one clock for all).
    const sendTimes: number[][] = docs.map(() => []);
    const latencies: number[] = [];
    let expected = 0;
    for (const [j, client] of clients.entries()) {
      const cells = sharedDoc(client.doc).cells;
      for (let i = 0; i < n; i++) {
        if (i === j) continue;
        const text = cellSource(cells.get(i));
        let seen = 0;
        text.observe(() => {
          const at = performance.now();
          for (; seen < text.length; seen++) {
            const sent = sendTimes[i]![seen];
            // Negative: typed outside the measured window.
            if (sent !== undefined && sent >= 0) latencies.push(at - sent);
          }
        });
      }
    }
    const texts = docs.map((doc, i) => cellSource(sharedDoc(doc).cells.get(i)));
    const period = 1000 / CHARS_PER_SECOND;
    let measuring = false;
    const timers: NodeJS.Timeout[] = [];
    for (const [i, text] of texts.entries()) {
      // Spread writers over the period, as people do not type in lockstep.
      const begin = setTimeout(() => {
        const tick = () => {
          sendTimes[i]!.push(measuring ? performance.now() : -1);
          // Every observer but the writer itself must see it.
          if (measuring) expected += i < observers ? observers - 1 : observers;
          text.insert(text.length, 'x');
        };
        tick();
        timers.push(setInterval(tick, period));
      }, (period * i) / n);
      timers.push(begin);
    }
    await sleep(warmupMs);
    const cpuBefore = cpuSeconds(target.server.pid);
    const clientBefore = process.cpuUsage();
    const wallBefore = performance.now();
    measuring = true;
    await sleep(measureMs);
    measuring = false;
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    const cpuShare = (cpuSeconds(target.server.pid) - cpuBefore) / wallSeconds;
    const clientUsage = process.cpuUsage(clientBefore);
    const clientCpuShare = (clientUsage.user + clientUsage.system) / 1e6 / wallSeconds;
    for (const t of timers) clearInterval(t);
    // Let the last keystrokes arrive everywhere before counting what is missing.
    await waitFor(() => latencies.length >= expected, 15_000, 'the last keystrokes to propagate', 20).catch(() => undefined);
    return { latency: summarize(latencies), cpuShare, clientCpuShare, edits: expected, missing: Math.max(0, expected - latencies.length) };
  } finally {
    for (const c of clients) c.destroy();
    for (const w of writers) w.close();
  }
}

async function cohortTarget(dir: string, n: number): Promise<Target> {
  const server = await spawnCohort(dir);
  try {
    const owner = await createUser(server.url, 'owner');
    const cells = Array.from({ length: n }, (_, i) => codeCell(`c${i}`, ''));
    const nb = await createNotebook(server.url, owner.token, `sync-${n}`, notebookOf(cells));
    const users: BenchUser[] = [];
    for (let i = 0; i < n; i++) {
      const u = await createUser(server.url, `writer${i}`);
      await addMember(server.url, owner.token, nb, u.id, 'editor');
      users.push(u);
    }
    return { server, roomFor: (i) => ({ room: sharedRoom(nb), token: users[i]!.token }), seed: () => undefined };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function referenceTarget(n: number): Promise<Target> {
  const server = await spawnYWebsocket();
  return {
    server,
    roomFor: () => ({ room: `sync-${n}`, token: 'unused' }),
    seed: (first) => {
      const cells = sharedDoc(first.doc).cells;
      first.doc.transact(() => cells.insert(0, Array.from({ length: n }, (_, i) => createCellMap(codeCell(`c${i}`, '')))));
    },
  };
}

export async function syncLatency({ quick, progress }: BenchOptions, sizes?: number[]): Promise<BenchResult> {
  const ns = sizes ?? (quick ? [3] : [10, 50, 100]);
  const warmupMs = quick ? 500 : 2000;
  const measureMs = quick ? 1500 : 10_000;
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  for (const n of ns) {
    const dir = benchDir(`sync${n}`);
    try {
      const results: Record<'cohort' | 'reference', LoadResult> = {} as Record<'cohort' | 'reference', LoadResult>;
      // Alternate which server goes first, so a change in the machine's background load does not
      // always hit the same one.
      const order = ns.indexOf(n) % 2 === 0 ? (['reference', 'cohort'] as const) : (['cohort', 'reference'] as const);
      for (const which of order) {
        progress?.(`sync-latency: ${n} clients on ${which}`);
        const target = which === 'cohort' ? await cohortTarget(dir.path, n) : await referenceTarget(n);
        try {
          results[which] = await runLoad(target, n, warmupMs, measureMs);
        } finally {
          await target.server.stop();
        }
      }
      const { cohort: c, reference: r } = results;
      rows.push([
        String(n), `${n * CHARS_PER_SECOND}/s`,
        fmtSummary(c.latency), fmtSummary(r.latency),
        `${ratio(c.latency.p50, r.latency.p50)} / ${ratio(c.latency.p99, r.latency.p99)}`,
        `${fmt(c.cpuShare * 100)}% vs ${fmt(r.cpuShare * 100)}% (${ratio(c.cpuShare, r.cpuShare)})`,
        `${c.missing} / ${r.missing}`,
        `${fmt(c.clientCpuShare * 100)}% / ${fmt(r.clientCpuShare * 100)}%`,
      ]);
      Object.assign(figures, {
        [`n${n}CohortP50`]: c.latency.p50, [`n${n}CohortP99`]: c.latency.p99,
        [`n${n}RefP50`]: r.latency.p50, [`n${n}RefP99`]: r.latency.p99,
        [`n${n}CohortCpu`]: c.cpuShare, [`n${n}RefCpu`]: r.cpuShare,
        [`n${n}Observations`]: c.latency.n,
      });
    } finally {
      dir.remove();
    }
  }
  const markdown = [
    `## sync-latency: N clients typing ${CHARS_PER_SECOND} chars/s each into their own cell (${measureMs / 1000} s measured after ${warmupMs / 1000} s warm-up)`,
    '',
    `Latency: from a keystroke until each of ${OBSERVERS} observing clients (full WebsocketProvider clients, which type too) sees it (p50 / p99); the other N−${OBSERVERS} clients are light writers that drop what they receive, so this 2-core machine measures the server rather than 100 Yjs clients decoding. CPU: server process, share of one core.`,
    '',
    table(['N', 'edits', 'Cohort latency', 'y-websocket 2.x latency', 'ratio p50 / p99', 'server CPU (Cohort vs ref)', 'not observed (Cohort / ref)', 'client process CPU (Cohort / ref run)'], rows),
    '',
  ].join('\n');
  return { name: 'sync-latency', markdown, figures };
}

runIfMain(import.meta.url, (options) => syncLatency(options));
