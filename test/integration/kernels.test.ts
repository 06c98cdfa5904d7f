// A real ipykernel, started by the launcher, spoken to over ZeroMQ.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { launchKernel } from '../../server/kernels/kernel.ts';
import type { LocalKernel } from '../../server/kernels/kernel.ts';
import type { KernelSpec } from '../../server/kernels/kernelspec.ts';
import { isMessageType } from '../../server/kernels/messages.ts';
import { recordPath } from '../../server/kernels/orphans.ts';
import { eventually } from '../helpers/eventually.ts';
import { captureLogger, collectIopub, processEnded, processGone, python3Spec, startedRunning, tempDataDir, testSandbox } from '../helpers/kernel.ts';
import type { KernelSandbox } from '../../server/kernels/sandbox.ts';

describe('a real ipykernel through the launcher', { timeout: 120_000 }, () => {
  const logger = captureLogger();
  let spec: KernelSpec;
  let dataDir: string;
  let kernel: LocalKernel;
  let sandbox: KernelSandbox;

  before(async () => {
    spec = await python3Spec(logger);
    dataDir = await mkdtemp(join(tmpdir(), 'cohort-kernels-'));
    sandbox = await testSandbox(dataDir, logger);
    kernel = await launchKernel({ spec, dataDir, logger, sandbox });
  });
  after(async () => {
    await kernel?.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts and answers kernel_info with protocol 5.x, with a 0600 ipc connection file of the kernel\'s uid in its own directory, and a record', async () => {
    const info = kernel.kernelInfo.content;
    assert.match(info.protocol_version, /^5\./);
    assert.equal(info.language_info.name, 'python');
    const stat = statSync(kernel.connectionFile);
    assert.equal(stat.mode & 0o777, 0o600);
    assert.equal(stat.uid, 65534, 'the connection file belongs to the kernel\'s uid');
    const onDisk = JSON.parse(await readFile(kernel.connectionFile, 'utf8'));
    assert.equal(onDisk.signature_scheme, 'hmac-sha256');
    // ZeroMQ over Unix sockets, at the path the sandbox sees; the server uses the host path.
    assert.equal(onDisk.transport, 'ipc');
    assert.equal(onDisk.ip, '/run/kernel/k');
    assert.equal(kernel.connectionInfo.ip, join(dirname(kernel.connectionFile), 'k'));
    assert.ok(existsSync(`${kernel.connectionInfo.ip}-1`), 'the shell socket is in the kernel\'s directory');
    assert.equal(onDisk.key, kernel.connectionInfo.key);
    assert.ok(onDisk.key.length >= 32);
    const record = JSON.parse(await readFile(recordPath(dataDir, kernel.id), 'utf8'));
    assert.equal(record.kernelPid, kernel.pid);
    assert.notEqual(record.pid, kernel.pid, 'the record names the sandbox process as well as the kernel');
    assert.equal(record.kernelDir, dirname(dirname(kernel.connectionFile)));
    assert.equal(record.ownerPid, process.pid);
  });

  it('executes 1+1: execute_result 2, and done resolves only after iopub idle', async () => {
    const request = kernel.execute('1+1');
    const seen = collectIopub(request);
    let idleSeenAtDone = false;
    const reply = await request.reply;
    assert.equal(reply.content.status, 'ok');
    await request.done.then(() => {
      idleSeenAtDone = seen.some((m) => isMessageType(m, 'status') && m.content.execution_state === 'idle');
    });
    assert.ok(idleSeenAtDone, 'done resolved before the idle status arrived');
    const result = seen.find((m) => isMessageType(m, 'execute_result'));
    assert.ok(result && isMessageType(result, 'execute_result'));
    assert.equal(result.content.data['text/plain'], '2');
    assert.deepEqual(
      seen.map((m) => m.header.msg_type),
      ['status', 'execute_input', 'execute_result', 'status'],
    );
  });

  it('streams print output on stdout', async () => {
    const request = kernel.execute('print("hello from python")');
    const seen = collectIopub(request);
    await request.done;
    const stream = seen.find((m) => isMessageType(m, 'stream'));
    assert.ok(stream && isMessageType(stream, 'stream'));
    assert.equal(stream.content.name, 'stdout');
    assert.equal(stream.content.text, 'hello from python\n');
  });

  it('reports errors as an error reply and an iopub error', async () => {
    const request = kernel.execute('1/0');
    const seen = collectIopub(request);
    const reply = await request.done;
    assert.equal(reply.content.status, 'error');
    const error = seen.find((m) => isMessageType(m, 'error'));
    assert.ok(error && isMessageType(error, 'error'));
    assert.equal(error.content.ename, 'ZeroDivisionError');
  });

  it('routes input() prompts to the request and takes the answer over stdin', async () => {
    const request = kernel.execute('name = input("who? ")\nprint("hi", name)');
    const prompts: string[] = [];
    request.onStdin((msg) => {
      prompts.push(msg.content.prompt);
      void kernel.sendStdin({ value: 'Ada' }, msg);
    });
    const seen = collectIopub(request);
    await request.done;
    assert.deepEqual(prompts, ['who? ']);
    const text = seen.filter((m) => isMessageType(m, 'stream')).map((m) => (isMessageType(m, 'stream') ? m.content.text : ''));
    assert.ok(text.join('').includes('hi Ada'));
  });

  it('interrupts time.sleep(60) quickly with a KeyboardInterrupt error reply', async () => {
    const started = Date.now();
    const request = kernel.execute('import time; print("sleeping", flush=True); time.sleep(60)');
    await startedRunning(request);
    await kernel.interrupt();
    const reply = await request.done;
    assert.equal(reply.content.status, 'error');
    assert.ok(reply.content.status === 'error' && reply.content.ename === 'KeyboardInterrupt');
    assert.ok(Date.now() - started < 15_000, 'interrupt took too long');
  });

  it('restart gives a fresh process in a new sandbox that has forgotten variables', async () => {
    await kernel.execute('x = 42').done;
    const oldPid = kernel.pid;
    const oldFile = kernel.connectionFile;
    const states: string[] = [];
    const offStatus = kernel.on('status', (s) => states.push(s));
    let restarted = false;
    const offRestarted = kernel.on('restarted', () => {
      restarted = true;
    });
    await kernel.restart();
    offStatus();
    offRestarted();
    assert.ok(restarted);
    assert.equal(states[0], 'restarting');
    assert.notEqual(kernel.pid, oldPid);
    assert.notEqual(kernel.connectionFile, oldFile);
    assert.equal(existsSync(oldFile), false, 'old connection file left behind');
    await eventually(() => processGone(oldPid), { timeoutMs: 5000, message: 'old kernel process still running' });
    const reply = await kernel.execute('x').done;
    assert.ok(reply.content.status === 'error' && reply.content.ename === 'NameError');
  });

  it('shutdown stops everything the kernel started, setsid or not, and removes its cgroup and directory', async () => {
    const own = await launchKernel({ spec, dataDir, logger, sandbox });
    const record = JSON.parse(await readFile(recordPath(dataDir, own.id), 'utf8'));
    const started = await own.execute("import subprocess\nfor _ in range(2): subprocess.Popen(['sleep', '1000'], start_new_session=True)\nsubprocess.Popen(['sleep', '1000'])").reply;
    assert.equal(started.content.status, 'ok');
    // Seen from the host: everything in the kernel's cgroup (its sandbox, the kernel, the three sleeps).
    const inGroup = (await readFile(join(record.cgroup.dirs[0], 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number);
    assert.ok(inGroup.length >= 5, `expected the sandbox, the kernel and 3 children, got ${inGroup.join(', ')}`);
    await own.shutdown();
    for (const pid of inGroup) await eventually(() => processEnded(pid), { timeoutMs: 5000, message: `process ${pid} outlived its kernel` });
    for (const dir of record.cgroup.dirs) assert.equal(existsSync(dir), false, `cgroup ${dir} is still there`);
    assert.equal(existsSync(record.kernelDir), false);
  });

  it('shutdown stops the process and removes its files; a second shutdown is a no-op', async () => {
    const own = await launchKernel({ spec, dataDir, logger, sandbox, shutdownGraceMs: 3000 });
    const pid = own.pid;
    const file = own.connectionFile;
    await own.shutdown();
    await own.shutdown();
    assert.ok(processGone(pid));
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(recordPath(dataDir, own.id)), false);
    assert.equal(own.state, 'dead');
    assert.equal(own.alive, false);
    const late = own.execute('1');
    await assert.rejects(late.reply, /closed/);
  });
});

describe('kernel death and interrupt by message', { timeout: 120_000 }, () => {
  const logger = captureLogger();

  it('emits dead with the signal when the kernel process is SIGKILLed, and cleans up', async (t) => {
    const spec = await python3Spec(logger);
    const dataDir = await tempDataDir(t);
    const kernel = await launchKernel({ spec, dataDir, logger, sandbox: await testSandbox(dataDir, logger) });
    t.after(() => kernel.shutdown());
    const pending = kernel.execute('import time; time.sleep(30)');
    const dead = new Promise<string>((resolve) => kernel.on('dead', resolve));
    process.kill(kernel.pid, 'SIGKILL');
    assert.match(await dead, /SIGKILL/);
    assert.equal(kernel.state, 'dead');
    await assert.rejects(pending.done, /closed|shut down/);
    await eventually(async () => (await readdir(`${dataDir}/kernels`)).length === 0 && (await readdir(`${dataDir}/k`)).length === 0, {
      timeoutMs: 5000,
      message: 'files left',
    });
  });

  it('emits dead when the heartbeat stops answering (process frozen with SIGSTOP) and kills it', async (t) => {
    const spec = await python3Spec(logger);
    const dataDir = await tempDataDir(t);
    // Pings every 60 ms, dead after 3 missed: far shorter than a kernel's start-up, so this also
    // catches a heartbeat that runs (and gives up) before the kernel answered.
    const kernel = await launchKernel({ spec, dataDir, logger, sandbox: await testSandbox(dataDir, logger), heartbeatIntervalMs: 60, heartbeatMaxMissed: 3 });
    t.after(() => kernel.shutdown());
    const pid = kernel.pid;
    const dead = new Promise<string>((resolve) => kernel.on('dead', resolve));
    process.kill(pid, 'SIGSTOP');
    assert.match(await dead, /heartbeat/);
    await eventually(() => processGone(pid), { timeoutMs: 5000, message: 'frozen kernel not killed' });
  });

  it('interrupts with interrupt_request when the spec says interrupt_mode "message"', async (t) => {
    const spec = { ...(await python3Spec(logger)), interruptMode: 'message' as const };
    const dataDir = await tempDataDir(t);
    const kernel = await launchKernel({ spec, dataDir, logger, sandbox: await testSandbox(dataDir, logger) });
    t.after(() => kernel.shutdown());
    const request = kernel.execute('import time; print("sleeping", flush=True); time.sleep(60)');
    await startedRunning(request);
    await kernel.interrupt();
    const reply = await request.done;
    assert.ok(reply.content.status === 'error' && reply.content.ename === 'KeyboardInterrupt');
  });
});
