// `npm run dev`: the Cohort server and the Vite dev server side by side; Ctrl-C stops both.
// Extra arguments are passed to the server (e.g. `npm run dev -- --data ./data`).
import { spawn, type ChildProcess } from 'node:child_process';

function start(name: string, command: string, args: string[]): ChildProcess {
  // Own process group: a terminal's Ctrl-C reaches only this script, which then sends each child
  // exactly one SIGTERM (a second signal makes the server skip its graceful kernel shutdown).
  const child = spawn(command, args, { stdio: 'inherit', env: process.env, detached: true });
  child.on('exit', (code, signal) => {
    console.log(`[dev] ${name} exited (${signal ?? code})`);
    stopAll(code ?? 1);
  });
  child.on('error', (error) => {
    console.error(`[dev] could not start ${name}:`, error);
    stopAll(1);
  });
  return child;
}

const children: ChildProcess[] = [];
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  // Give children time to dispose kernels before we leave.
  const deadline = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  deadline.unref();
  Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => child.once('exit', () => resolve())),
    ),
  ).then(() => process.exit(code), (error: unknown) => {
    console.error('[dev] waiting for children failed:', error);
    process.exit(1);
  });
}

children.push(start('server', process.execPath, ['--import', 'tsx', 'server/main.ts', ...process.argv.slice(2)]));
children.push(start('vite', process.execPath, ['node_modules/vite/bin/vite.js']));

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});
