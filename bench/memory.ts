// Resident memory of Cohort (server process + its kernels) with 1, 10 (50 with --n50) users each
// holding a kernel, and the marginal MiB per user; reference: one Jupyter Server with one kernel
// per user, loaded the same way. Every figure is taken once the processes have gone quiet.
import { join } from 'node:path';
import type { BenchOptions, BenchResult } from './lib/bench.ts';
import { runIfMain } from './lib/bench.ts';
import { addMember, codeCell, createNotebook, createUser, notebookOf, runAndWait, spawnCohort } from './lib/cohort.ts';
import { startJupyter } from './lib/jupyter.ts';
import { benchDir, processTree, treeRssMiB, waitQuiet } from './lib/procs.ts';
import { fmt, ratio, table } from './lib/stats.ts';

export interface Point {
  users: number;
  total: number;
  server: number;
  kernels: number;
}

const quietTree = (pid: number) => waitQuiet(() => processTree(pid), { timeoutMs: 120_000 });

export async function cohortPoints(dataDir: string, milestones: number[], progress?: (line: string) => void, extraArgs: string[] = []): Promise<Point[]> {
  const server = await spawnCohort(dataDir, extraArgs);
  try {
    const owner = await createUser(server.url, 'owner');
    const nb = await createNotebook(server.url, owner.token, 'memory', notebookOf([codeCell('c', 'x = list(range(1000)); 1+1')]));
    await quietTree(server.pid);
    const idle = treeRssMiB(server.pid);
    const points: Point[] = [{ users: 0, total: idle.total, server: idle.rootOnly, kernels: idle.others }];
    let users = 0;
    for (const target of milestones) {
      for (; users < target; users++) {
        const user = await createUser(server.url, `user${users}`);
        await addMember(server.url, owner.token, nb, user.id, 'runner');
        const [run] = await runAndWait(server.url, user.token, nb, ['c']);
        if (run?.status !== 'ok') throw new Error(`run of user${users} ended ${JSON.stringify(run)}`);
      }
      await quietTree(server.pid);
      const rss = treeRssMiB(server.pid);
      if (rss.count < target) throw new Error(`expected ${target} kernels under the server, found ${rss.count}`);
      points.push({ users: target, total: rss.total, server: rss.rootOnly, kernels: rss.others });
      progress?.(`memory: cohort with ${target} users: ${fmt(rss.total)} MiB`);
    }
    return points;
  } finally {
    await server.stop();
  }
}

async function jupyterPoints(dir: string, milestones: number[], progress?: (line: string) => void): Promise<Point[]> {
  const server = await startJupyter(dir);
  try {
    await quietTree(server.pid);
    const idle = treeRssMiB(server.pid);
    const points: Point[] = [{ users: 0, total: idle.total, server: idle.rootOnly, kernels: idle.others }];
    let users = 0;
    for (const target of milestones) {
      for (; users < target; users++) {
        const kernel = await server.connect(await server.startKernel());
        try {
          await kernel.ready();
          if ((await kernel.executeResult('x = list(range(1000)); 1+1')) !== '2') throw new Error('jupyter kernel answered wrongly');
        } finally {
          kernel.close();
        }
      }
      await quietTree(server.pid);
      const rss = treeRssMiB(server.pid);
      points.push({ users: target, total: rss.total, server: rss.rootOnly, kernels: rss.others });
      progress?.(`memory: jupyter with ${target} users: ${fmt(rss.total)} MiB`);
    }
    return points;
  } finally {
    await server.stop();
  }
}

export const marginal = (points: Point[], key: 'total' | 'server' | 'kernels'): number => {
  const a = points[1]!;
  const b = points[points.length - 1]!;
  return b.users === a.users ? Number.NaN : (b[key] - a[key]) / (b.users - a.users);
};

export async function memoryBench({ quick, progress }: BenchOptions, milestones?: number[]): Promise<BenchResult> {
  const ms = milestones ?? (quick ? [1, 2] : [1, 10]);
  const dir = benchDir('memory');
  try {
    const cohort = await cohortPoints(join(dir.path, 'cohort'), ms, progress);
    const jupyter = await jupyterPoints(join(dir.path, 'jupyter'), ms, progress);
    const rows = cohort.map((c, i) => {
      const j = jupyter[i]!;
      return [String(c.users), `${fmt(c.total)} (server ${fmt(c.server)} + kernels ${fmt(c.kernels)})`,
        `${fmt(j.total)} (server ${fmt(j.server)} + kernels ${fmt(j.kernels)})`, ratio(c.total, j.total)];
    });
    const mc = marginal(cohort, 'total');
    const mj = marginal(jupyter, 'total');
    const last = ms[ms.length - 1]!;
    // A user's own Jupyter Server as it is once it holds a kernel (the 1-user figure), plus their kernel.
    const hubLike = last * jupyter[1]!.server + jupyter[jupyter.length - 1]!.kernels;
    rows.push([`marginal per user (${ms[0]}→${last})`, `${fmt(mc)} (server ${fmt(marginal(cohort, 'server'))} + kernel ${fmt(marginal(cohort, 'kernels'))})`,
      `${fmt(mj)} (server ${fmt(marginal(jupyter, 'server'))} + kernel ${fmt(marginal(jupyter, 'kernels'))})`, ratio(mc, mj)]);
    rows.push([`${last} users, one Jupyter Server each (JupyterHub-like, derived)`, '', `≈${fmt(hubLike)}`, ratio(cohort[cohort.length - 1]!.total, hubLike)]);
    const markdown = [
      `## memory: RSS (MiB) with users each holding a kernel`,
      '',
      table(['users', 'Cohort: server + kernels', 'Jupyter Server + one kernel per user', 'ratio'], rows),
      '',
    ].join('\n');
    return {
      name: 'memory',
      markdown,
      figures: { cohortPerUser: mc, jupyterPerUser: mj, cohortIdle: cohort[0]!.total, jupyterIdle: jupyter[0]!.total, cohortLast: cohort[cohort.length - 1]!.total, jupyterLast: jupyter[jupyter.length - 1]!.total },
    };
  } finally {
    dir.remove();
  }
}

runIfMain(import.meta.url, (options) => memoryBench(options, process.argv.includes('--n50') ? [1, 10, 50] : undefined));
