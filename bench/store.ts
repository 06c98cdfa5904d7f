// Storage: bytes on disk (the LevelDB dir) after many single-character edits, beside the size of
// the same document encoded by Yjs; and the cold load of a 1,000-cell notebook from disk (server
// start, connect, synced), beside Jupyter Server opening the same .ipynb through /api/contents and
// the floor of decoding the stored state in this process.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { sharedRoom } from '../shared/rooms.ts';
import type { Notebook } from '../shared/nbformat.ts';
import { cellSource } from '../shared/schema.ts';
import { sharedDoc } from '../shared/layout.ts';
import { connectDoc } from '../test/helpers/clients.ts';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { codeCell, createNotebook, createUser, notebookOf, spawnCohort } from './lib/cohort.ts';
import { startJupyter } from './lib/jupyter.ts';
import { benchDir, waitFor } from './lib/procs.ts';
import { fmt, fmtSummary, msSince, now, ratio, summarize, table } from './lib/stats.ts';

/** Apparent bytes and allocated bytes (what `du` reports) of every file under a directory. */
export function diskUsage(dir: string): { apparent: number; allocated: number } {
  let apparent = 0;
  let allocated = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const st = statSync(join(entry.parentPath, entry.name));
    apparent += st.size;
    allocated += st.blocks * 512;
  }
  return { apparent, allocated };
}

const kib = (bytes: number) => `${fmt(bytes / 1024)} KiB`;

async function editsOnDisk(dir: string, edits: number, progress?: (line: string) => void) {
  const dataDir = join(dir, 'edits');
  const server = await spawnCohort(dataDir);
  try {
    const owner = await createUser(server.url, 'owner');
    const nb = await createNotebook(server.url, owner.token, 'edits', notebookOf([codeCell('c', '')]));
    const writer = connectDoc(server.wsUrl, sharedRoom(nb), owner.token);
    const watcher = connectDoc(server.wsUrl, sharedRoom(nb), owner.token);
    let measured;
    try {
      await Promise.all([writer.synced(), watcher.synced()]);
      const before = diskUsage(join(dataDir, 'db'));
      const text = cellSource(sharedDoc(writer.doc).cells.get(0));
      const seen = () => cellSource(sharedDoc(watcher.doc).cells.get(0)).length;
      const start = now();
      const batch = 500;
      for (let typed = 0; typed < edits; ) {
        // One transaction per character: one update message and one log entry each, as typing makes.
        for (let k = 0; k < batch && typed < edits; k++, typed++) text.insert(text.length, String.fromCharCode(97 + (typed % 26)));
        // Flow control: at most a few batches in flight, so we measure the server, not a socket buffer.
        await waitFor(() => seen() >= typed - 4 * batch, 60_000, 'the watcher to catch up', 2);
        if (typed % 20_000 === 0) progress?.(`store: ${typed}/${edits} edits`);
      }
      await waitFor(() => seen() === edits, 60_000, 'every edit to reach the watcher', 5);
      measured = {
        before,
        editMs: msSince(start),
        encoded: Y.encodeStateAsUpdate(writer.doc).length,
        encodedV2: Y.encodeStateAsUpdateV2(writer.doc).length,
        jsonBytes: Buffer.byteLength(JSON.stringify(sharedDoc(writer.doc).cells.toJSON())),
      };
    } finally {
      writer.destroy();
      watcher.destroy();
    }
    // Stopped first, so the rooms have written everything and LevelDB has closed its files.
    await server.stop();
    const after = diskUsage(join(dataDir, 'db'));
    // LevelDB compacts its own files in the background; one more open and close shows how far.
    await (await spawnCohort(dataDir)).stop();
    return { ...measured, after, afterReopen: diskUsage(join(dataDir, 'db')) };
  } finally {
    await server.stop();
  }
}

function bigNotebook(cells: number): Notebook {
  return notebookOf(
    Array.from({ length: cells }, (_, i) =>
      codeCell(`cell${i}`, `# cell ${i}\nimport math\nvalues_${i} = [math.sqrt(k) for k in range(${i})]\nprint(len(values_${i}))\n`),
    ),
  );
}

async function coldLoad(dir: string, cells: number, repeats: number, progress?: (line: string) => void) {
  const dataDir = join(dir, 'cold');
  const notebook = bigNotebook(cells);
  let nb: string;
  let token: string;
  let stored: Uint8Array;
  {
    const server = await spawnCohort(dataDir);
    try {
      const owner = await createUser(server.url, 'owner');
      token = owner.token;
      nb = await createNotebook(server.url, owner.token, 'big', notebook);
      // Read it back once so the floor decodes exactly what a client gets.
      const client = connectDoc(server.wsUrl, sharedRoom(nb), token);
      await client.synced();
      await waitFor(() => sharedDoc(client.doc).cells.length === cells, 30_000, 'the notebook to load', 10);
      stored = Y.encodeStateAsUpdate(client.doc);
      client.destroy();
    } finally {
      await server.stop();
    }
  }
  const cohort = { start: [] as number[], sync: [] as number[], total: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    progress?.(`store: cold load ${r + 1}/${repeats}`);
    const t0 = now();
    const server = await spawnCohort(dataDir);
    try {
      const listening = msSince(t0);
      const t1 = now();
      const client = connectDoc(server.wsUrl, sharedRoom(nb), token);
      try {
        await waitFor(() => client.provider.synced && sharedDoc(client.doc).cells.length === cells, 30_000, 'the cold notebook to sync', 1);
      } finally {
        client.destroy();
      }
      cohort.sync.push(msSince(t1));
      cohort.start.push(listening);
      cohort.total.push(msSince(t0));
    } finally {
      await server.stop();
    }
  }
  const floor: number[] = [];
  for (let r = 0; r < Math.max(3, repeats); r++) {
    const t = now();
    const doc = new Y.Doc();
    Y.applyUpdate(doc, stored);
    if (sharedDoc(doc).cells.length !== cells) throw new Error('decoded notebook has the wrong number of cells');
    floor.push(msSince(t));
    doc.destroy();
  }
  const jupyter = { start: [] as number[], open: [] as number[], total: [] as number[] };
  const jdir = join(dir, 'jupyter');
  for (let r = 0; r < repeats; r++) {
    progress?.(`store: jupyter cold open ${r + 1}/${repeats}`);
    const t0 = now();
    const server = await startJupyter(jdir);
    try {
      if (r === 0) writeFileSync(join(server.rootDir, 'big.ipynb'), JSON.stringify(notebook));
      const listening = msSince(t0);
      const t1 = now();
      const model = await server.api<{ content: { cells: unknown[] } }>('GET', '/api/contents/big.ipynb?content=1');
      if (model.content.cells.length !== cells) throw new Error('jupyter returned the wrong number of cells');
      jupyter.open.push(msSince(t1));
      jupyter.start.push(listening);
      jupyter.total.push(msSince(t0));
    } finally {
      await server.stop();
    }
  }
  return {
    cohort: { start: summarize(cohort.start), sync: summarize(cohort.sync), total: summarize(cohort.total) },
    jupyter: { start: summarize(jupyter.start), open: summarize(jupyter.open), total: summarize(jupyter.total) },
    floor: summarize(floor),
    ipynbBytes: Buffer.byteLength(JSON.stringify(notebook)),
    storedBytes: stored.length,
  };
}

export async function storeBench({ quick, progress }: BenchOptions): Promise<BenchResult> {
  const edits = quick ? 2000 : 100_000;
  const cells = quick ? 50 : 1000;
  const repeats = quick ? 1 : 5;
  const dir = benchDir('store');
  try {
    const e = await editsOnDisk(dir.path, edits, progress);
    const c = await coldLoad(dir.path, cells, repeats, progress);
    const growth = e.after.allocated - e.before.allocated;
    const markdown = [
      `## store: ${edits.toLocaleString('en')} single-character edits; cold load of a ${cells}-cell notebook`,
      '',
      table(['figure', 'Cohort', 'reference', 'ratio'], [
        ['LevelDB dir after the edits (du, allocated)', kib(e.after.allocated), `Yjs encoded doc: ${kib(e.encoded)} (v2: ${kib(e.encodedV2)})`, ratio(e.after.allocated, e.encoded)],
        ['LevelDB dir after one more server start and stop (du)', kib(e.afterReopen.allocated), `Yjs encoded doc: ${kib(e.encoded)}`, ratio(e.afterReopen.allocated, e.encoded)],
        ['LevelDB dir growth from the edits (du)', kib(growth), `the text as JSON: ${kib(e.jsonBytes)}`, ratio(growth, e.jsonBytes)],
        ['LevelDB dir after the edits (apparent bytes)', kib(e.after.apparent), `Yjs encoded doc: ${kib(e.encoded)}`, ratio(e.after.apparent, e.encoded)],
        ['edit throughput (one client, stored before broadcast)', `${fmt(edits / (e.editMs / 1000))} edits/s`, '', ''],
        [`cold load: spawn → listening`, fmtSummary(c.cohort.start), `Jupyter Server: ${fmtSummary(c.jupyter.start)}`, ratio(c.cohort.start.p50, c.jupyter.start.p50)],
        [`cold load: connect → synced, ${cells} cells`, fmtSummary(c.cohort.sync), `Jupyter GET /api/contents: ${fmtSummary(c.jupyter.open)}`, ratio(c.cohort.sync.p50, c.jupyter.open.p50)],
        [`cold load: spawn → synced`, fmtSummary(c.cohort.total), `Jupyter spawn → contents: ${fmtSummary(c.jupyter.total)}`, ratio(c.cohort.total.p50, c.jupyter.total.p50)],
        ['floor: Y.applyUpdate of the stored state in-process', fmtSummary(c.floor), '', `connect→synced ${ratio(c.cohort.sync.p50, c.floor.p50)}`],
        ['notebook size', `Yjs state ${kib(c.storedBytes)}`, `.ipynb ${kib(c.ipynbBytes)}`, ratio(c.storedBytes, c.ipynbBytes)],
      ]),
      '',
    ].join('\n');
    return {
      name: 'store',
      markdown,
      figures: {
        edits,
        diskBytes: e.after.allocated,
        diskApparentBytes: e.after.apparent,
        diskAfterReopenBytes: e.afterReopen.allocated,
        encodedBytes: e.encoded,
        editsPerSecond: edits / (e.editMs / 1000),
        coldSyncP50: c.cohort.sync.p50,
        coldTotalP50: c.cohort.total.p50,
        jupyterOpenP50: c.jupyter.open.p50,
        jupyterTotalP50: c.jupyter.total.p50,
        floorP50: c.floor.p50,
      },
    };
  } finally {
    dir.remove();
  }
}

runIfMain(import.meta.url, storeBench);
