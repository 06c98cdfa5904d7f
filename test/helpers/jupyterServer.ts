// A real Jupyter Server (Debian's python3-jupyter-server) as the remote kernel engine of the
// gateway tests: token auth, its own runtime, config and data dirs in a temp dir, listening on
// loopback, starting kernels from the project's kernelspec (ipykernel and ipywidgets from
// `.python`). Jupyter Server 1.23 cannot listen on port 0 (it reports port 0), so a free port is
// reserved first, and taken again if someone else got it meanwhile.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../server/config.ts';
import { eventually } from './eventually.ts';
import { processGone } from './kernel.ts';
import { freePort } from './nginx.ts';
import { tempDir } from './server.ts';

export interface JupyterServer {
  /** `http://127.0.0.1:<port>`; after a restart that found its port taken, the new one. */
  readonly url: string;
  readonly token: string;
  /** The server process (kernels are its children). */
  readonly pid: number;
  /** The host pid of the engine's kernel `kernelId`, found by its connection file. */
  kernelPid(kernelId: string): number | undefined;
  /** Ids of the kernels the engine runs, as its REST API lists them. */
  kernelIds(): Promise<string[]>;
  /** SIGKILLs the server, as a crash would; its kernels end on their own (they watch their parent). */
  kill(): Promise<void>;
  /**
   * Starts the server again with the same token (it knows none of the old kernels), on the same
   * port unless someone took it meanwhile: then on a fresh one, and `url` says which.
   */
  restart(): Promise<void>;
  /** Stops the server and every kernel it started; removes its files. */
  stop(): Promise<void>;
}

export async function startJupyterServer(): Promise<JupyterServer> {
  const dir = tempDir('cohort-jupyter-');
  const runtimeDir = join(dir, 'runtime');
  for (const sub of ['runtime', 'config', 'data', 'root', 'ipython']) mkdirSync(join(dir, sub));
  const token = randomBytes(24).toString('hex');
  let port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      output = '';
      const args = [
        '-m', 'jupyter_server',
        `--ServerApp.port=${port}`, '--ServerApp.port_retries=0', '--ServerApp.ip=127.0.0.1',
        '--ServerApp.open_browser=False', `--ServerApp.root_dir=${join(dir, 'root')}`,
        ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
      ];
      // The token by environment, never on the command line; the environment is a clean one.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        LANG: 'C.UTF-8',
        HOME: join(dir, 'root'),
        JUPYTER_TOKEN: token,
        JUPYTER_RUNTIME_DIR: runtimeDir,
        JUPYTER_CONFIG_DIR: join(dir, 'config'),
        JUPYTER_DATA_DIR: join(dir, 'data'),
        JUPYTER_PATH: join(projectRoot, '.jupyter'),
        IPYTHONDIR: join(dir, 'ipython'),
      };
      // Its kernels start in its working directory: the temp root, never the project.
      const started = spawn('/usr/bin/python3', args, { cwd: join(dir, 'root'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      started.stdout.on('data', (d: Buffer) => (output += d.toString()));
      started.stderr.on('data', (d: Buffer) => (output += d.toString()));
      let exited = false;
      started.once('exit', () => (exited = true));
      try {
        await eventually(async () => exited || (await answers(`http://127.0.0.1:${port}`, token)), { timeoutMs: 60_000, intervalMs: 200, message: 'jupyter server did not answer' });
      } catch (error) {
        started.kill('SIGKILL');
        throw new Error(`${(error as Error).message}\n${output}`);
      }
      if (!exited) return;
      if (attempt >= 3 || !/address already in use/i.test(output)) throw new Error(`jupyter server exited:\n${output}`);
      port = await freePort();
    }
  };
  await launch();

  const kernelPid = (kernelId: string): number | undefined => {
    const marker = `kernel-${kernelId}.json`;
    return ownKernels().find((k) => k.cmdline.includes(marker))?.pid;
  };
  /** Kernel processes started from this server's runtime dir (they may outlive a killed server). */
  const ownKernels = () => {
    const found: { pid: number; cmdline: string }[] = [];
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        if (cmdline.includes(runtimeDir) && cmdline.includes('ipykernel')) found.push({ pid, cmdline });
      } catch {
        // gone meanwhile
      }
    }
    return found;
  };
  const halt = async (signal: NodeJS.Signals) => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const url = () => `http://127.0.0.1:${port}`;
  return {
    get url() {
      return url();
    },
    token,
    get pid() {
      return child!.pid!;
    },
    kernelPid,
    async kernelIds() {
      const res = await fetch(`${url()}/api/kernels`, { headers: { authorization: `token ${token}` } });
      return ((await res.json()) as { id: string }[]).map((k) => k.id);
    },
    async kill() {
      await halt('SIGKILL');
      // ipykernel notices its parent went away within a second or so and exits.
      await eventually(() => ownKernels().length === 0, { timeoutMs: 15_000, message: 'kernels of the killed jupyter server still run' });
    },
    restart: launch,
    async stop() {
      await halt('SIGTERM');
      for (const k of ownKernels()) process.kill(k.pid, 'SIGKILL');
      await eventually(() => ownKernels().every((k) => processGone(k.pid)), { timeoutMs: 10_000, message: 'jupyter kernels still running' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function answers(url: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/kernelspecs`, { headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
