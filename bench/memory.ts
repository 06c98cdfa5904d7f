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

/**
 * The memory of the process tree under `pid` once quiet: idle, then at each milestone, reached by
 * adding users one at a time with `addUser(index)`; `measured` checks and reports each milestone.
 */
async function pointsAsUsersJoin(
  pid: number,
  milestones: number[],
  addUser: (index: number) => Promise<void>,
  measured: (users: number, rss: ReturnType<typeof treeRssMiB>) => void,
): Promise<Point[]> {
  await quietTree(pid);
  const idle = treeRssMiB(pid);
  const points: Point[] = [{ users: 0, total: idle.total, server: idle.rootOnly, kernels: idle.others }];
  let users = 0;
  for (const target of milestones) {
    for (; users < target; users++) await addUser(users);
    await quietTree(pid);
    const rss = treeRssMiB(pid);
    measured(target, rss);
    points.push({ users: target, total: rss.total, server: rss.rootOnly, kernels: rss.others });
  }
  return points;
}

export async function cohortPoints(dataDir: string, milestones: number[], progress?: (line: string) => void, extraArgs: string[] = []): Promise<Point[]> {
  const server = await spawnCohort(dataDir, extraArgs);
  try {
    const owner = await createUser(server.url, 'owner');
    const nb = await createNotebook(server.url, owner.token, 'memory', notebookOf([codeCell('c', 'x = list(range(1000)); 1+1')]));
    const addUser = async (index: number) => {
      const user = await createUser(server.url, `user${index}`);
      await addMember(server.url, owner.token, nb, user.id, 'runner');
      const [run] = await runAndWait(server.url, user.token, nb, ['c']);
      if (run?.status !== 'ok') throw new Error(`run of user${index} ended ${JSON.stringify(run)}`);
    };
    return await pointsAsUsersJoin(server.pid, milestones, addUser, (target, rss) => {
      if (rss.count < target) throw new Error(`expected ${target} kernels under the server, found ${rss.count}`);
      progress?.(`memory: cohort with ${target} users: ${fmt(rss.total)} MiB`);
    });
  } finally {
    await server.stop();
  }
}

async function jupyterPoints(dir: string, milestones: number[], progress?: (line: string) => void): Promise<Point[]> {
  const server = await startJupyter(dir);
  try {
    const addUser = async () => {
      const kernel = await server.connect(await server.startKernel());
      try {
        await kernel.ready();
        if ((await kernel.executeResult('x = list(range(1000)); 1+1')) !== '2') throw new Error('jupyter kernel answered wrongly');
      } finally {
        kernel.close();
      }
    };
    return await pointsAsUsersJoin(server.pid, milestones, addUser, (target, rss) => {
      progress?.(`memory: jupyter with ${target} users: ${fmt(rss.total)} MiB`);
    });
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
