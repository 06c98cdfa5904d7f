// The processes a test started, found through /proc: every descendant of a pid, with its
// command line, so a test can say "no kernel of ours is left" whatever wrapper started it.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie no longer runs
    return Number(fields[1]);
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every live (non-zombie) descendant of `root`, now. */
export function descendants(root: number = process.pid): ProcessInfo[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: ProcessInfo[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {
        continue;
      }
      found.push({ pid: child, cmdline });
      visit(child);
    }
  };
  visit(root);
  return found;
}

/** Descendant processes that are Jupyter kernels (or their sandbox wrappers). */
export function kernelProcesses(root: number = process.pid): ProcessInfo[] {
  return descendants(root).filter((p) => /ipykernel|kernel-[\w-]+\.json|bwrap/.test(p.cmdline));
}
