// The reference: Jupyter Server 1.23 (Debian) with the project's kernelspec, driven over its REST
// API and kernel WebSocket (`/api/kernels/<id>/channels`, JSON text frames with a `channel`).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { projectRoot } from '../../server/config.ts';
import { stopChild } from './cohort.ts';
import { freePort, stopWithThisProcess, waitFor } from './procs.ts';

export interface JupyterServer {
  url: string;
  token: string;
  pid: number;
  rootDir: string;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  startKernel(): Promise<string>;
  connect(kernelId: string): Promise<JupyterKernelClient>;
  stop(): Promise<void>;
}

interface JupyterMessage {
  channel: string;
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

export interface JupyterKernelClient {
  /** Sends an execute_request; resolves with the text/plain of its execute_result once it arrives. */
  executeResult(code: string): Promise<string>;
  /** Resolves once kernel_info_reply arrived: the kernel answers on shell. */
  ready(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** `dir` must be a benchmark temp dir: connection files go there, which tags the kernels as ours. */
export async function startJupyter(dir: string): Promise<JupyterServer> {
  const port = await freePort();
  const token = randomUUID();
  const rootDir = join(dir, 'root');
  for (const d of ['root', 'runtime', 'config', 'data']) mkdirSync(join(dir, d), { recursive: true });
  const child = spawn(
    '/usr/bin/python3',
    ['-m', 'jupyter_server', '--allow-root', '--no-browser', `--port=${port}`, '--ip=127.0.0.1', `--ServerApp.token=${token}`,
      '--ServerApp.disable_check_xsrf=True', `--ServerApp.root_dir=${rootDir}`, '--ServerApp.port_retries=0'],
    {
      cwd: rootDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        JUPYTER_PATH: join(projectRoot, '.jupyter'),
        JUPYTER_RUNTIME_DIR: join(dir, 'runtime'),
        JUPYTER_CONFIG_DIR: join(dir, 'config'),
        JUPYTER_DATA_DIR: join(dir, 'data'),
      },
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  stopWithThisProcess(child);
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `token ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`jupyter ${method} ${path} failed with ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  await waitFor(async () => {
    if (exited) throw new Error(`jupyter_server exited while starting:\n${out}`);
    try {
      return (await fetch(`${url}/api/status?token=${token}`)).status === 200;
    } catch (error) {
      // Not listening yet: ECONNREFUSED is the expected answer while it starts.
      if (error instanceof TypeError) return false;
      throw error;
    }
  }, 60_000, 'jupyter_server to answer /api/status', 50);

  let stopping: Promise<void> | undefined;
  return {
    url,
    token,
    pid: child.pid!,
    rootDir,
    api,
    startKernel: async () => (await api<{ id: string }>('POST', '/api/kernels', { name: 'python3' })).id,
    connect: (kernelId) => connectKernel(`${url.replace(/^http/, 'ws')}/api/kernels/${kernelId}/channels?token=${token}`),
    stop: () =>
      (stopping ??= (async () => {
        try {
          // Kernels first through the API, so none outlives a server that has to be killed.
          const kernels = await api<Array<{ id: string }>>('GET', '/api/kernels');
          await Promise.all(kernels.map((k) => api('DELETE', `/api/kernels/${k.id}`)));
        } finally {
          await stopChild(child, exit, () => exited);
        }
      })()),
  };
}

async function connectKernel(wsUrl: string): Promise<JupyterKernelClient> {
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const session = randomUUID();
  const waiting = new Map<string, (msg: JupyterMessage) => void>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return; // buffers-carrying messages; none of ours
    const msg = JSON.parse(data.toString()) as JupyterMessage;
    const parent = msg.parent_header?.msg_id;
    if (parent) waiting.get(parent)?.(msg);
  });
  const send = (channel: string, msgType: string, content: Record<string, unknown>, onMsg: (msg: JupyterMessage) => void) => {
    const msgId = randomUUID();
    waiting.set(msgId, onMsg);
    ws.send(JSON.stringify({
      channel,
      header: { msg_id: msgId, msg_type: msgType, session, username: 'bench', version: '5.3', date: new Date().toISOString() },
      parent_header: {},
      metadata: {},
      content,
      buffers: [],
    }));
    return () => waiting.delete(msgId);
  };
  return {
    executeResult: (code) =>
      new Promise((resolve, reject) => {
        const done = send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, (msg) => {
          if (msg.header.msg_type === 'execute_result') {
            done();
            resolve(String((msg.content.data as Record<string, unknown>)['text/plain']));
          } else if (msg.header.msg_type === 'error') {
            done();
            reject(new Error(`kernel error: ${String(msg.content.ename)}: ${String(msg.content.evalue)}`));
          }
        });
      }),
    ready: async (timeoutMs = 60_000) => {
      // The first kernel_info_request may be lost while the kernel starts, as front ends know; retry.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answered = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => (done(), resolve(false)), 1000);
          const done = send('shell', 'kernel_info_request', {}, (msg) => {
            if (msg.header.msg_type === 'kernel_info_reply') {
              clearTimeout(timer);
              done();
              resolve(true);
            }
          });
        });
        if (answered) return;
        if (Date.now() > deadline) throw new Error('jupyter kernel did not answer kernel_info_request');
      }
    },
    close: () => ws.close(),
  };
}
