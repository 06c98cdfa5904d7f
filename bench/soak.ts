// Soak: N clients typing into one notebook (5 characters a second each, every one into its own
// cell) while R users run a cell every S seconds in their own kernels, for T minutes, against the
// server as `npm start` runs it. Reported: disconnects, convergence of every client, the server's
// RSS (slope during the load, and after the clients left), health-check latency, run latency, and
// whether the document reloaded after a restart equals what the clients hold. References: the
// same server idle in the same run (RSS, health), and the figures issue 19 quoted for this load
// before the room guards existed.
//
//   node --import tsx bench/soak.ts [--quick] [--clients 100] [--minutes 3] [--runners 10] [--run-every 5]
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { sharedRoom } from '../shared/rooms.ts';
import { cellSource, readableCells } from '../shared/schema.ts';
import { sharedDoc } from '../shared/layout.ts';
import { connectDoc } from '../test/helpers/clients.ts';
import type { DocClient } from '../test/helpers/clients.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import type { BenchUser, SpawnedCohort } from './lib/cohort.ts';
import { addMember, call, codeCell, createNotebook, createUser, notebookOf, spawnCohort } from './lib/cohort.ts';
import type { LightWriter } from './lib/lightClient.ts';
import { lightWriter } from './lib/lightClient.ts';
import { benchDir, rssMiB, sleep, waitFor } from './lib/procs.ts';
import type { Summary } from './lib/stats.ts';
import { fmt, fmtSummary, summarize, table } from './lib/stats.ts';

export interface SoakSize {
  clients: number;
  minutes: number;
  runners: number;
  runEverySeconds: number;
}

const CHARS_PER_SECOND = 5;
/** Full Yjs clients that receive everything and check convergence; the others are light writers. */
const OBSERVERS = 4;

/** Issue 19's run of the same load (100 clients × 3 min, 10 users running every 5 s), before this work. */
const ISSUE_19 = { disconnects: 0, converged: 'every client', reload: 'identical', rssAfterMiB: 108 };

interface Sample {
  at: number;
  rss: number;
}

/** Least-squares slope of RSS over time, MiB per minute. */
function slopePerMinute(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((s, p) => s + p.at, 0) / n;
  const my = samples.reduce((s, p) => s + p.rss, 0) / n;
  const num = samples.reduce((s, p) => s + (p.at - mx) * (p.rss - my), 0);
  const den = samples.reduce((s, p) => s + (p.at - mx) ** 2, 0);
  return (num / den) * 60_000;
}

async function healthLatency(url: string): Promise<number> {
  const start = performance.now();
  const res = await fetch(`${url}/api/health`);
  await res.text();
  if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  return performance.now() - start;
}

/** Text of every readable cell of a document. */
const cellTexts = (doc: Y.Doc) => readableCells(sharedDoc(doc).cells).map((cell) => cellSource(cell).toString());

export async function soak({ quick, progress }: BenchOptions, size?: Partial<SoakSize>): Promise<BenchResult> {
  const { clients: n, minutes, runners, runEverySeconds } = {
    ...(quick ? { clients: 6, minutes: 0.15, runners: 2, runEverySeconds: 3 } : { clients: 100, minutes: 3, runners: 10, runEverySeconds: 5 }),
    ...size,
  };
  const dir = benchDir('soak');
  let server: SpawnedCohort | undefined = await spawnCohort(dir.path);
  const observers: DocClient[] = [];
  const writers: LightWriter[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const url = server.url;
    // Reference in the same run: the idle server.
    await sleep(2000);
    const idleHealth: number[] = [];
    for (let i = 0; i < 40; i++) idleHealth.push(await healthLatency(url));
    const rssIdle = rssMiB(server.pid);

    const owner = await createUser(url, 'owner');
    const cells = Array.from({ length: n }, (_, i) => codeCell(`c${i}`, ''));
    const nb = await createNotebook(url, owner.token, 'soak', notebookOf([...cells, codeCell('run', 'sum(range(100000))')]));
    const typists: BenchUser[] = [];
    for (let i = 0; i < n; i++) {
      const u = await createUser(url, `typist${i}`);
      await addMember(url, owner.token, nb, u.id, 'editor');
      typists.push(u);
    }
    const runnerUsers: BenchUser[] = [];
    for (let i = 0; i < runners; i++) {
      const u = await createUser(url, `runner${i}`);
      await addMember(url, owner.token, nb, u.id, 'runner');
      runnerUsers.push(u);
    }
    progress?.(`soak: connecting ${n} clients`);
    for (let i = 0; i < Math.min(OBSERVERS, n); i++) observers.push(connectDoc(server.wsUrl, sharedRoom(nb), typists[i]!.token));
    await Promise.all(observers.map((c) => c.synced(60_000)));
    for (let i = observers.length; i < n; i++) writers.push(await lightWriter(server.wsUrl, sharedRoom(nb), typists[i]!.token));
    const docs = [...observers.map((c) => c.doc), ...writers.map((w) => w.doc)];
    const typed = docs.map(() => '');

    // The load: typing, runs, and the samplers.
    const period = 1000 / CHARS_PER_SECOND;
    docs.forEach((doc, i) => {
      const begin = setTimeout(() => {
        let k = 0;
        timers.push(
          setInterval(() => {
            const text = cellSource(sharedDoc(doc).cells.get(i));
            const ch = String.fromCharCode(97 + (k++ % 26));
            text.insert(text.length, ch);
            typed[i] += ch;
          }, period),
        );
      }, (period * i) / n);
      timers.push(begin);
    });
    const runLatencies: number[] = [];
    let runErrors = 0;
    let running = true;
    const runLoops = runnerUsers.map(async (u, i) => {
      await sleep((runEverySeconds * 1000 * i) / Math.max(1, runners));
      while (running) {
        const started = performance.now();
        const res = await call<{ runs: Array<{ status: string }> }>(url, u.token, 'POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: ['run'] }).catch(() => undefined);
        if (res?.status === 200 && res.body.runs[0]?.status === 'ok') runLatencies.push(performance.now() - started);
        else runErrors++;
        await sleep(Math.max(0, runEverySeconds * 1000 - (performance.now() - started)));
      }
    });
    const rss: Sample[] = [];
    const health: number[] = [];
    let healthErrors = 0;
    const startedAt = performance.now();
    timers.push(setInterval(() => rss.push({ at: performance.now() - startedAt, rss: rssMiB(server!.pid) }), 2000));
    timers.push(
      setInterval(() => {
        healthLatency(url).then((ms) => health.push(ms), () => healthErrors++);
      }, 500),
    );
    const durationMs = minutes * 60_000;
    for (let elapsed = 0; elapsed < durationMs; elapsed += 30_000) {
      await sleep(Math.min(30_000, durationMs - elapsed));
      progress?.(`soak: ${fmt((elapsed + Math.min(30_000, durationMs - elapsed)) / 60_000)} of ${minutes} min, server RSS ${fmt(rssMiB(server.pid))} MiB`);
    }
    for (const t of timers.splice(0)) clearInterval(t);
    running = false;
    await Promise.all(runLoops);
    const rssPeak = Math.max(...rss.map((s) => s.rss));
    // The first fifth is warm-up (kernels starting, rooms loading): the slope is of the rest.
    const steady = rss.filter((s) => s.at >= durationMs / 5);

    // Convergence: every observer holds every client's cell exactly as typed.
    const convergeStart = performance.now();
    const expected = typed;
    await waitFor(
      () => observers.every((c) => JSON.stringify(cellTexts(c.doc).slice(0, n)) === JSON.stringify(expected)),
      60_000,
      'every observer to hold every keystroke',
      50,
    ).catch(() => undefined);
    const convergeMs = performance.now() - convergeStart;
    const convergedObservers = observers.filter((c) => JSON.stringify(cellTexts(c.doc).slice(0, n)) === JSON.stringify(expected)).length;
    const observerCount = observers.length;
    const keystrokes = typed.reduce((s, t) => s + t.length, 0);
    const disconnects = observers.reduce((s, c) => s + c.closes.length, 0) + writers.reduce((s, w) => s + w.drops.length, 0);
    const final = Y.encodeStateAsUpdate(observers[0]!.doc);

    // Everyone leaves; the server settles (rooms unload after their idle time).
    for (const c of observers.splice(0)) c.destroy();
    for (const w of writers.splice(0)) w.close();
    await sleep(15_000);
    const rssAfter = rssMiB(server.pid);

    // Reload: a restart serves exactly the document the clients held.
    progress?.('soak: restarting the server to compare the stored document');
    await server.stop();
    server = await spawnCohort(dir.path);
    const reader = connectDoc(server.wsUrl, sharedRoom(nb), owner.token);
    await reader.synced(60_000);
    const held = new Y.Doc();
    Y.applyUpdate(held, final);
    const reloadEqual =
      JSON.stringify(cellTexts(reader.doc)) === JSON.stringify(cellTexts(held)) &&
      Buffer.from(Y.encodeStateVector(reader.doc)).equals(Buffer.from(Y.encodeStateVector(held)));
    reader.destroy();

    const runs = summarize(runLatencies);
    const healthSummary: Summary = summarize(health);
    const idleSummary = summarize(idleHealth);
    const rows = [
      ['load', `${n} clients × ${minutes} min, ${runners} users running a cell every ${runEverySeconds} s`, 'issue 19: 100 clients × 3 min, 10 users running every 5 s'],
      ['disconnects', String(disconnects), String(ISSUE_19.disconnects)],
      ['clients converged', `${convergedObservers}/${observerCount} observers hold all ${n} cells exactly as typed (${keystrokes} keystrokes), in ${fmt(convergeMs / 1000)} s after typing stopped`, ISSUE_19.converged],
      ['document after restart', reloadEqual ? 'identical (cells and state vector)' : 'DIFFERENT', ISSUE_19.reload],
      ['server RSS: idle / peak / after the clients left', `${fmt(rssIdle)} / ${fmt(rssPeak)} / ${fmt(rssAfter)} MiB`, `after: ${ISSUE_19.rssAfterMiB} MiB; idle, same run: ${fmt(rssIdle)} MiB`],
      ['server RSS slope after warm-up', `${fmt(slopePerMinute(steady))} MiB/min (${steady.length} samples)`, '—'],
      ['health check p50 / p99 under load', `${fmtSummary(healthSummary)}, ${healthErrors} failed`, `idle, same run: ${fmt(idleSummary.p50)} / ${fmt(idleSummary.p99)} ms`],
      ['`sum(range(100000))` run, p50 / p99', `${fmtSummary(runs)}, ${runErrors} failed`, '—'],
    ];
    const markdown = [
      `### Soak: ${n} clients typing × ${minutes} min, ${runners} users running cells`,
      '',
      'Server as `npm start` runs it (child process); RSS is the server process alone (kernels are their own processes). ' +
        `${Math.min(OBSERVERS, n)} clients are full Yjs clients that check convergence; the others are light writers.`,
      '',
      table(['figure', 'Cohort (this run)', 'reference'], rows),
    ].join('\n');
    return {
      name: 'soak',
      markdown,
      figures: {
        disconnects,
        convergedObservers,
        reloadEqual: reloadEqual ? 1 : 0,
        rssIdle,
        rssPeak,
        rssAfter,
        rssSlopePerMin: slopePerMinute(steady),
        healthP99: healthSummary.p99,
        runErrors,
        keystrokes,
      },
    };
  } finally {
    for (const t of timers) clearInterval(t);
    for (const c of observers) c.destroy();
    for (const w of writers) w.close();
    await server?.stop();
    dir.remove();
  }
}

function sizeFromArgs(argv: string[]): Partial<SoakSize> {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : undefined;
  };
  const size: Partial<SoakSize> = {};
  const clients = value('--clients');
  const minutes = value('--minutes');
  const runners = value('--runners');
  const every = value('--run-every');
  if (clients !== undefined) size.clients = clients;
  if (minutes !== undefined) size.minutes = minutes;
  if (runners !== undefined) size.runners = runners;
  if (every !== undefined) size.runEverySeconds = every;
  return size;
}

runIfMain(import.meta.url, (options) => soak(options, sizeFromArgs(process.argv.slice(2))));
