// Timing loops the benches share: paths measured in interleaved blocks (so a change in the
// machine's load hits them alike), a new runner's first result through Cohort, and `1+1` on
// Jupyter Server's kernel WebSocket (the reference most benches print beside Cohort's figure).
import { addMember, createUser, runAndWait } from './cohort.ts';
import type { JupyterKernelClient } from './jupyter.ts';
import { msSince, now } from './stats.ts';

/**
 * Runs every path `warmup` times side by side (not counted), then `runs` times each in blocks of
 * `block`: a block of the first path, one of the second, …, again. Each path resolves with the
 * milliseconds of one sample; returns every path's samples.
 */
export async function interleavedBlocks<Path extends string>(
  paths: Record<Path, () => Promise<number>>,
  { runs, block, warmup = 5, onBlock }: { runs: number; block: number; warmup?: number; onBlock?: (done: number) => void },
): Promise<Record<Path, number[]>> {
  const names = Object.keys(paths) as Path[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Path, number[]>;
  for (let i = 0; i < warmup; i++) await Promise.all(names.map((name) => paths[name]()));
  for (let done = 0; done < runs; done += block) {
    for (const name of names) for (let i = 0; i < block; i++) samples[name].push(await paths[name]());
    onBlock?.(done + block);
  }
  return samples;
}

/** One `1+1` on a ready Jupyter kernel, from the request until its `execute_result`, in ms. */
export async function jupyterOnePlusOne(kernel: JupyterKernelClient): Promise<number> {
  const start = now();
  const text = await kernel.executeResult('1+1');
  if (text !== '2') throw new Error(`jupyter answered ${text}`);
  return msSince(start);
}

/**
 * A new runner's first `1+1` in `notebookId` (its cell `c`): the user is created and made a
 * member first; timed from `execute?wait=true` until the answer holds `2`, in ms.
 */
export async function newRunnerFirstResult(url: string, ownerToken: string, notebookId: string, userName: string): Promise<number> {
  const user = await createUser(url, userName);
  await addMember(url, ownerToken, notebookId, user.id, 'runner');
  const start = now();
  const [run] = await runAndWait(url, user.token, notebookId, ['c']);
  const ms = msSince(start);
  const value = run?.outputs.find((o) => o.output_type === 'execute_result')?.data?.['text/plain'];
  if (value !== '2') throw new Error(`${userName}: first run answered ${JSON.stringify(run)}`);
  return ms;
}
