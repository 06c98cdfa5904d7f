// What every benchmark script shares: its options, its result, and the entry point that runs it
// alone (`node --import tsx bench/<name>.ts [--quick]`) and checks it left no kernel behind.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchKernels, sleep } from './procs.ts';

export interface BenchOptions {
  /** Tiny sizes, for the smoke test and a quick look. */
  quick: boolean;
  /** Progress lines (stderr); silent by default in tests. */
  progress?: (line: string) => void;
  /** Where a benchmark that supports it writes a CPU profile of its measured window. */
  profileDir?: string;
}

export interface BenchResult {
  name: string;
  /** A markdown section: tables with each figure beside its reference and the ratio. */
  markdown: string;
  /** The headline numbers, for tests and for RESULTS.md. */
  figures: Record<string, number>;
}

export type Bench = (options: BenchOptions) => Promise<BenchResult>;

export function parseOptions(argv: string[]): BenchOptions {
  const profileAt = argv.indexOf('--profile');
  return {
    quick: argv.includes('--quick'),
    progress: (line) => console.error(`  ${line}`),
    ...(profileAt >= 0 && argv[profileAt + 1] ? { profileDir: argv[profileAt + 1] } : {}),
  };
}

/** Fails when a kernel started from a benchmark temp dir still runs (after a short grace). */
export async function assertNoBenchKernels(graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  let left = benchKernels();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = benchKernels();
  }
  if (left.length > 0) throw new Error(`kernels left running: ${left.map((k) => `${k.pid} ${k.cmd}`).join('\n')}`);
}

/** The 1-minute load average, printed beside figures: others' work on the machine skews them. */
export function loadNote(): string {
  return `load average (1 min) ${loadavg()[0]!.toFixed(1)} on this machine`;
}

/** Runs the benchmark when its file is the entry point. */
export function runIfMain(moduleUrl: string, bench: Bench): void {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  // Each WebsocketProvider adds a process 'exit' listener; the benchmarks open dozens.
  process.setMaxListeners(0);
  const loadBefore = loadNote();
  bench(parseOptions(process.argv.slice(2)))
    .then(async (result) => {
      console.log(result.markdown);
      console.log(`_${loadBefore} at start, ${loadNote()} at end._\n`);
      await assertNoBenchKernels();
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
