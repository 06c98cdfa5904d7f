// What one curious user can reach from their own kernel. A probe cell run by Alice tries, in turn:
// to find COHORT_* settings (its environment, any process's it can see), list the data dir, read
// Bob's connection file, drive Bob's kernel with it and read his variable, see Bob's kernel in
// /proc, signal it, write into the project folder, reach the server's HTTP port, and serve a TCP
// port the host can reach. With the sandbox (the default) every try must fail. The same probe
// against a server started with --kernel-sandbox none must succeed at each (except reading its
// own environment, which is clean there too): that run proves each try can see a leak.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';

import { projectRoot } from '../../server/config.ts';
import type { Output } from '../../shared/nbformat.ts';
import { kernelProcessesUsing, removeDataDir } from '../helpers/kernel.ts';
import type { Api } from '../helpers/server.ts';
import { createLogger } from '../../server/log.ts';
import { startCohort } from '../../server/server.ts';
import { apiClient, spawnServer, tempDir, testConfig } from '../helpers/server.ts';

const ADMIN = 'admin-test-token';
const PROBES = ['ownEnvironment', 'anyEnvironment', 'listDataDir', 'readConnectionFile', 'driveOtherKernel', 'seeOtherKernel', 'signalOtherKernel', 'writeProject', 'reachServer', 'listenForHost'] as const;
type Probe = (typeof PROBES)[number];

interface RunAnswer {
  status: string;
  outputs: Output[];
  message?: string;
}

const usedDataDirs: string[] = [];
after(async () => {
  assert.deepEqual(kernelProcessesUsing(usedDataDirs), [], 'kernel processes of this file are still running');
  // Here, not in each test: a test's after hooks run in the order they were added, before the server's stop.
  for (const dir of usedDataDirs) await removeDataDir(dir);
});


/** The probe: each try answers True when it got through; what stopped it is kept for the report. */
function probeSource(params: Record<string, unknown>): string {
  return `
import json, os, signal, socket, threading
P = json.loads(${JSON.stringify(JSON.stringify(params))})
results, errors = {}, {}
def attempt(name, fn):
    try:
        results[name] = bool(fn())
    except Exception as error:
        results[name] = False
        errors[name] = repr(error)

def any_environment():
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                if P['envSecret'].encode() in open('/proc/%s/environ' % pid, 'rb').read():
                    return True
            except OSError:
                pass
    return False

# jupyter_client's threads would upset the probing kernel's own event loop: the client runs apart.
DRIVE = """
import json, os, sys
P = json.loads(sys.argv[1])
try:
    if not os.path.exists(P['socketPrefix'] + '-1'):
        raise FileNotFoundError(P['socketPrefix'] + '-1')
    from jupyter_client import BlockingKernelClient
    client = BlockingKernelClient()
    client.load_connection_info({'transport': 'ipc', 'ip': P['socketPrefix'], 'shell_port': 1, 'iopub_port': 2,
                                 'stdin_port': 3, 'control_port': 4, 'hb_port': 5, 'key': P['key'], 'signature_scheme': 'hmac-sha256'})
    client.start_channels()
    client.execute('', silent=True, user_expressions={'stolen': 'secret'})
    reply = client.get_shell_msg(timeout=15)
    client.stop_channels()
    print('STOLEN' if P['secret'] in json.dumps(reply['content'].get('user_expressions', {})) else 'NOT STOLEN')
except Exception as error:
    print(repr(error))
"""

def drive_other_kernel():
    import subprocess, sys
    answer = subprocess.run([sys.executable, '-c', DRIVE, json.dumps(P)], capture_output=True, text=True, timeout=60).stdout.strip()
    if answer != 'STOLEN':
        raise RuntimeError(answer)
    return True

def see_other_kernel():
    me = os.getpid()
    for pid in os.listdir('/proc'):
        if pid.isdigit() and int(pid) != me:
            try:
                argv = open('/proc/%s/cmdline' % pid, 'rb').read().split(b'\\0')
            except OSError:
                continue
            if os.path.basename(argv[0]).startswith(b'python') and b'ipykernel_launcher' in argv:
                return True
    return False

def reach_server():
    with socket.create_connection(('127.0.0.1', P['port']), timeout=5) as s:
        s.sendall(b'GET /api/health HTTP/1.0\\r\\n\\r\\n')
        return b'"ok"' in s.recv(4096)

def write_project():
    with open(os.path.join(P['projectDir'], P['projectFile']), 'w') as f:
        f.write('written by a kernel')
    return True

attempt('ownEnvironment', lambda: any(name.startswith('COHORT_') for name in os.environ) or P['envSecret'] in json.dumps(dict(os.environ)))
attempt('anyEnvironment', any_environment)
attempt('listDataDir', lambda: len(os.listdir(P['dataDir'])) > 0)
attempt('readConnectionFile', lambda: P['key'] in open(P['connectionFile']).read())
attempt('driveOtherKernel', drive_other_kernel)
attempt('seeOtherKernel', see_other_kernel)
attempt('signalOtherKernel', lambda: os.kill(P['otherPid'], signal.SIGCONT) is None)
attempt('writeProject', write_project)
attempt('reachServer', reach_server)

# The last try serves a port and waits (in a thread) for the host to say a token on it.
received = []
listener = socket.socket()
listener.bind(('127.0.0.1', 0))
listener.listen(1)
def serve():
    connection, _ = listener.accept()
    received.append(connection.recv(100).decode())
probe_thread = threading.Thread(target=serve, daemon=True)
probe_thread.start()
print(json.dumps({'results': results, 'errors': errors, 'port': listener.getsockname()[1]}))
`;
}

/** After the host tried the port: did the kernel get the token? (Waits only when the host got in.) */
const LISTENED = `
import json
if P_HOST_CONNECTED:
    probe_thread.join(10)
print(json.dumps({'received': received}))
`;
import { codeCell as code } from '../helpers/cells.ts';

function textOf(run: RunAnswer): string {
  return run.outputs.map((o) => ('text' in o ? String(o.text) : '')).join('');
}

async function runCells(api: Api, nb: string, cellIds: string[]): Promise<RunAnswer[]> {
  const res = await api<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.runs;
}

/** The host tries to reach the kernel's port and say `token`; true when it connected and wrote. */
function hostConnects(port: number, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(token, () => resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function probe(t: TestContext, mode: 'bwrap' | 'none'): Promise<{ results: Record<Probe, boolean>; errors: Record<string, string>; output: string }> {
  const dataDir = tempDir('cohort-probe-');
  usedDataDirs.push(dataDir);
  const envSecret = `probe-${randomBytes(8).toString('hex')}`;
  const server = await spawnServer(dataDir, ['--kernel-sandbox', mode], { env: { COHORT_PROBE_SECRET: envSecret } });
  t.after(async () => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return;
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  });
  const admin = apiClient(server.url, ADMIN);
  const users: Record<string, { id: string; token: string }> = {};
  for (const name of ['alice', 'bob']) {
    const res = await admin<{ id: string; token: string }>('POST', '/api/users', { name });
    assert.equal(res.status, 201);
    users[name] = res.body;
  }
  const secret = `bob-secret-${randomBytes(8).toString('hex')}`;
  // Bob's kernel first: it holds the secret Alice is after.
  const bobNb = (await admin<{ id: string }>('POST', '/api/notebooks', { name: 'bob', notebook: notebook([code('secret', `secret = ${JSON.stringify(secret)}`)]) })).body.id;
  await admin('PUT', `/api/notebooks/${bobNb}/members/${users.bob!.id}`, { role: 'runner' });
  const bob = apiClient(server.url, users.bob!.token);
  assert.equal((await runCells(bob, bobNb, ['secret']))[0]!.status, 'ok');
  const bobPid = (await bob<{ pid: number }>('GET', `/api/notebooks/${bobNb}/kernel`)).body.pid;
  // What an attacker who guessed the layout would try: Bob's connection file, its key, its sockets.
  const records = await Promise.all((await readdir(join(dataDir, 'kernels'))).filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(dataDir, 'kernels', n), 'utf8'))));
  const bobRecord = records.find((r) => r.kernelPid === bobPid);
  assert.ok(bobRecord, 'no record of Bob\'s kernel');
  const connectionFile = join(bobRecord.kernelDir, 'run', 'kernel.json');
  const { key } = JSON.parse(readFileSync(connectionFile, 'utf8'));
  const projectFile = `probe-${randomBytes(6).toString('hex')}`;
  t.after(() => rmSync(join(projectRoot, projectFile), { force: true }));
  const params = {
    envSecret,
    dataDir,
    connectionFile,
    key,
    secret,
    socketPrefix: join(bobRecord.kernelDir, 'run', 'k'),
    otherPid: bobPid,
    projectDir: projectRoot,
    projectFile,
    port: Number(new URL(server.url).port),
  };
  const aliceNb = (await admin<{ id: string }>('POST', '/api/notebooks', {
    name: 'alice',
    notebook: notebook([code('probe', probeSource(params)), code('listened-yes', `P_HOST_CONNECTED = True${LISTENED}`), code('listened-no', `P_HOST_CONNECTED = False${LISTENED}`)]),
  })).body.id;
  await admin('PUT', `/api/notebooks/${aliceNb}/members/${users.alice!.id}`, { role: 'runner' });
  const alice = apiClient(server.url, users.alice!.token);
  const [run] = await runCells(alice, aliceNb, ['probe']);
  assert.equal(run!.status, 'ok', JSON.stringify(run));
  assert.match(textOf(run!), /^\{/, `the probe printed no report: ${JSON.stringify(run)}`);
  const report = JSON.parse(textOf(run!)) as { results: Record<Probe, boolean>; errors: Record<string, string>; port: number };
  const token = randomBytes(8).toString('hex');
  const connected = await hostConnects(report.port, token);
  const [listened] = await runCells(alice, aliceNb, [connected ? 'listened-yes' : 'listened-no']);
  assert.match(textOf(listened!), /^\{/, `no answer about the port: ${JSON.stringify(listened)}\n${server.output().slice(-4000)}`);
  const { received } = JSON.parse(textOf(listened!)) as { received: string[] };
  report.results.listenForHost = connected && received.includes(token);
  if (!report.results.listenForHost) report.errors.listenForHost = connected ? 'the host reached another socket' : 'the host could not connect';
  // A write counts where it matters: in the project folder on the host.
  report.results.writeProject = existsSync(join(projectRoot, projectFile));
  // Bob's kernel is still his and still answers.
  assert.equal((await runCells(bob, bobNb, ['secret']))[0]!.status, 'ok');
  return { ...report, output: server.output() };
}

function notebook(cells: unknown[]) {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, cells };
}

describe('kernel isolation: what a user\'s code can reach', { timeout: 300_000 }, () => {
  it('a server that cannot sandbox its kernels refuses to start, unless told --kernel-sandbox none', async () => {
    const dataDir = tempDir('cohort-refuse-');
    usedDataDirs.push(dataDir);
    const config = { ...testConfig({ dataDir }), bwrapPath: '/nonexistent/bwrap' };
    await assert.rejects(startCohort(config, createLogger('silent')), (error: Error) => {
      assert.match(error.message, /kernel sandbox unavailable: \/nonexistent\/bwrap not found/);
      assert.match(error.message, /--kernel-sandbox none/);
      return true;
    });
    const unsandboxed = await startCohort({ ...config, kernelSandbox: 'none' }, createLogger('silent'));
    assert.equal(unsandboxed.kernelSandbox, 'none');
    await unsandboxed.close();
  });


  it('without a sandbox (--kernel-sandbox none) every probe gets through, except the kernel\'s own environment; the server warned at start', async (t) => {
    const { results, errors, output } = await probe(t, 'none');
    const expected = Object.fromEntries(PROBES.map((p) => [p, p !== 'ownEnvironment'])) as Record<Probe, boolean>;
    assert.deepEqual(results, expected, `errors: ${JSON.stringify(errors, null, 1)}`);
    assert.match(output, /kernel sandbox is off \(--kernel-sandbox none\): kernels are not isolated/);
  });

  it('in the sandbox every probe fails', async (t) => {
    const { results, errors, output } = await probe(t, 'bwrap');
    const expected = Object.fromEntries(PROBES.map((p) => [p, false])) as Record<Probe, boolean>;
    assert.deepEqual(results, expected, `errors: ${JSON.stringify(errors, null, 1)}`);
    assert.match(output, /every kernel runs in its own bubblewrap sandbox/);
    // Each try was stopped by the sandbox, not by a mistake in the probe.
    for (const probe of ['listDataDir', 'readConnectionFile', 'driveOtherKernel'] as const) assert.match(errors[probe] ?? '', /FileNotFoundError/, probe);
    assert.match(errors.signalOtherKernel ?? '', /ProcessLookupError/);
    assert.match(errors.reachServer ?? '', /ConnectionRefusedError|Network is unreachable|OSError/);
    assert.match(errors.writeProject ?? '', /Read-only file system|PermissionError|FileNotFoundError/);
  });
});

