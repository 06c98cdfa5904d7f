// How much memory a kernel uses: the resident set of its whole process tree, read from the host's
// /proc. The tree, not the one pid, because the process we spawned may be a launcher (bubblewrap,
// a shell) whose child is the real kernel, and because code in the kernel may start subprocesses.
// RSS counts shared pages (libraries) in every process, so this is an upper bound — the figure
// `ps` and `top` show, which is what a person comparing kernels expects.
import { readdir, readFile } from 'node:fs/promises';

/** pid → parent pid, for every process visible in /proc. */
async function parentsByPid(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
      if (!stat) return; // ended while we looked
      // `pid (comm) state ppid …`: comm may contain spaces and parentheses, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(ppid)) parents.set(Number(name), ppid);
    }),
  );
  return parents;
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : 0;
}

/**
 * The summed RSS in bytes of each root pid and all its descendants; a root that is gone (or a
 * system without /proc) is missing from the map.
 */
export async function processTreeMemory(rootPids: readonly number[]): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  if (rootPids.length === 0) return result;
  const parents = await parentsByPid();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  await Promise.all(
    rootPids.map(async (root) => {
      if (!parents.has(root)) return;
      const tree: number[] = [];
      for (const queue = [root]; queue.length > 0; ) {
        const pid = queue.pop()!;
        tree.push(pid);
        queue.push(...(children.get(pid) ?? []));
      }
      const sizes = await Promise.all(tree.map(rssBytes));
      result.set(root, sizes.reduce((sum, size) => sum + size, 0));
    }),
  );
  return result;
}
