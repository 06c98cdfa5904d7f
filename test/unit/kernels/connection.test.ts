// KernelConnection against a scripted fake kernel made of real ZeroMQ sockets, to produce what
// a real kernel rarely does: reordered reply/idle, bad signatures, garbage frames, silence.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as zmq from 'zeromq';

import { KernelConnection } from '../../../server/kernels/connection.ts';
import type { ConnectionInfo } from '../../../server/kernels/connection.ts';
import { ConnectionClosedError, NoReplyError, ProtocolError } from '../../../server/kernels/errors.ts';
import { createMessage, isMessageType } from '../../../server/kernels/messages.ts';
import type { KernelMessage, MsgContent, MsgType } from '../../../server/kernels/messages.ts';
import { decodeMessage, encodeMessage } from '../../../server/kernels/wire.ts';
import { eventually, sleep } from '../../helpers/eventually.ts';
import { captureLogger } from '../../helpers/kernel.ts';

const KEY = 'test-key-0123456789';
const kernelSession = { session: 'fake-kernel', username: 'kernel' };

function portOf(socket: zmq.Socket): number {
  const port = Number(socket.lastEndpoint?.split(':').pop());
  assert.ok(port > 0);
  return port;
}

/** The kernel side: ROUTERs for shell/control/stdin, a PUB for iopub, nothing on heartbeat. */
class FakeKernel {
  readonly shell = new zmq.Router({ linger: 0 });
  readonly control = new zmq.Router({ linger: 0 });
  readonly stdin = new zmq.Router({ linger: 0 });
  readonly iopub = new zmq.Publisher({ linger: 0 });
  readonly hb = new zmq.Reply({ linger: 0 });
  info!: ConnectionInfo;

  async start(): Promise<void> {
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) await s.bind('tcp://127.0.0.1:*');
    this.info = {
      transport: 'tcp',
      ip: '127.0.0.1',
      shell_port: portOf(this.shell),
      control_port: portOf(this.control),
      stdin_port: portOf(this.stdin),
      iopub_port: portOf(this.iopub),
      hb_port: portOf(this.hb),
      key: KEY,
      signature_scheme: 'hmac-sha256',
    };
  }

  /** Receives one request on a ROUTER: [routing id, ...message frames]. */
  async receive(socket: zmq.Router): Promise<{ identity: Buffer; msg: KernelMessage }> {
    const [identity, ...frames] = await socket.receive();
    assert.ok(identity);
    return { identity, msg: decodeMessage(frames, KEY) };
  }

  async reply<T extends MsgType>(socket: zmq.Router, to: { identity: Buffer; msg: KernelMessage }, type: T, content: MsgContent[T]) {
    const msg = createMessage(type, content, { ...kernelSession, parent: to.msg });
    msg.identities = [to.identity];
    await socket.send(encodeMessage(msg, KEY));
  }

  async publish<T extends MsgType>(parent: KernelMessage, type: T, content: MsgContent[T], key = KEY) {
    const msg = createMessage(type, content, { ...kernelSession, parent });
    msg.identities = [Buffer.from(`kernel.fake.${type}`)];
    await this.iopub.send(encodeMessage(msg, key));
  }

  close(): void {
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.close();
  }
}

describe('KernelConnection (fake kernel over real ZeroMQ)', () => {
  const logger = captureLogger();
  const fake = new FakeKernel();
  let conn: KernelConnection;
  const protocolErrors: [ProtocolError, string][] = [];
  const allIopub: KernelMessage[] = [];

  before(async () => {
    await fake.start();
    conn = new KernelConnection(fake.info, { logger, heartbeatIntervalMs: 60_000 });
    conn.on('protocolError', (error, channel) => protocolErrors.push([error, channel]));
    conn.onIopub((msg) => allIopub.push(msg));
    // PUB drops messages for subscribers not yet connected; publish until one gets through.
    const probe = createMessage('kernel_info_request', {}, kernelSession);
    await eventually(async () => {
      await fake.publish(probe, 'status', { execution_state: 'idle' });
      return allIopub.length > 0;
    }, { timeoutMs: 5000, intervalMs: 50, message: 'iopub never connected' });
  });
  after(async () => {
    await conn.close();
    fake.close();
  });

  it('resolves done only after both the reply and the idle status, whichever comes first', async () => {
    const replyFirst = conn.request('shell', 'kernel_info_request', {});
    const got = await fake.receive(fake.shell);
    assert.equal(got.msg.header.msg_id, replyFirst.msgId);
    assert.equal(got.identity.toString(), conn.session, 'shell routing id is the session');
    let doneFired = false;
    void replyFirst.done.then(() => {
      doneFired = true;
    });
    const fromRequest: string[] = [];
    replyFirst.onIopub((m) => fromRequest.push(m.header.msg_type));
    await fake.publish(got.msg, 'status', { execution_state: 'busy' });
    await fake.reply(fake.shell, got, 'kernel_info_reply', {
      status: 'ok', protocol_version: '5.3', implementation: 'fake', implementation_version: '1',
      language_info: { name: 'python' }, banner: '',
    });
    assert.equal((await replyFirst.reply).content.implementation, 'fake');
    // Marker: an iopub message of another request, after the reply; once it arrived, a `done`
    // that fired on the reply alone would have fired too.
    const marker = createMessage('kernel_info_request', {}, kernelSession);
    await fake.publish(marker, 'status', { execution_state: 'idle' });
    await eventually(() => allIopub.some((m) => m.parent_header.msg_id === marker.header.msg_id), { message: 'the marker did not arrive' });
    assert.equal(doneFired, false, 'done before idle');
    await fake.publish(got.msg, 'status', { execution_state: 'idle' });
    await replyFirst.done;
    assert.deepEqual(fromRequest, ['status', 'status']);

    const idleFirst = conn.request('control', 'interrupt_request', {});
    const got2 = await fake.receive(fake.control);
    await fake.publish(got2.msg, 'status', { execution_state: 'idle' });
    await sleep(100);
    await fake.reply(fake.control, got2, 'interrupt_reply', { status: 'ok' });
    assert.equal((await idleFirst.done).content.status, 'ok');
  });

  it('drops and reports badly signed or malformed frames, and keeps receiving', async () => {
    const request = conn.request('shell', 'kernel_info_request', {});
    const got = await fake.receive(fake.shell);
    const seen: string[] = [];
    request.onIopub((m) => seen.push(m.header.msg_type));
    await fake.publish(got.msg, 'stream', { name: 'stdout', text: 'forged' }, 'wrong-key');
    await fake.shell.send([got.identity, Buffer.from('no delimiter here')]);
    await eventually(() => protocolErrors.length >= 2, { timeoutMs: 5000, message: 'protocol errors not reported' });
    assert.deepEqual(protocolErrors.map(([, ch]) => ch).sort(), ['iopub', 'shell']);
    assert.ok(protocolErrors.every(([e]) => e instanceof ProtocolError));

    await fake.publish(got.msg, 'stream', { name: 'stdout', text: 'genuine' });
    await fake.publish(got.msg, 'status', { execution_state: 'idle' });
    await fake.reply(fake.shell, got, 'kernel_info_reply', {
      status: 'ok', protocol_version: '5.3', implementation: 'fake', implementation_version: '1',
      language_info: { name: 'python' }, banner: '',
    });
    await request.done;
    assert.deepEqual(seen, ['stream', 'status']);
    const texts = allIopub.filter((m) => isMessageType(m, 'stream')).map((m) => (isMessageType(m, 'stream') ? m.content.text : ''));
    assert.deepEqual(texts, ['genuine']);
  });

  it('routes input_request to the request that caused it and sends input_reply on stdin', async () => {
    const request = conn.request('shell', 'execute_request', {
      code: 'input()', silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true,
    });
    const got = await fake.receive(fake.shell);
    const prompts: KernelMessage<'input_request'>[] = [];
    request.onStdin((m) => prompts.push(m));
    // The kernel answers on stdin to the routing id the request came from on shell.
    await fake.reply(fake.stdin, got, 'input_request', { prompt: 'name: ', password: false });
    await eventually(() => prompts.length === 1, { timeoutMs: 5000 });
    await conn.sendStdin({ value: 'Grace' }, prompts[0]);
    const answer = await fake.receive(fake.stdin);
    assert.equal(answer.identity.toString(), conn.session);
    assert.ok(isMessageType(answer.msg, 'input_reply'));
    assert.equal(answer.msg.content.value, 'Grace');
    assert.equal(answer.msg.parent_header.msg_id, prompts[0]?.header.msg_id);
  });

  it('sends fire-and-forget shell messages with binary buffers', async () => {
    const sent = await conn.sendShell('comm_msg', { comm_id: 'c1', data: { method: 'custom' } }, { buffers: [Buffer.from([1, 2, 3])] });
    const got = await fake.receive(fake.shell);
    assert.equal(got.msg.header.msg_id, sent.header.msg_id);
    assert.deepEqual(got.msg.buffers, [Buffer.from([1, 2, 3])]);
  });
});

describe('KernelConnection lifecycle', () => {
  it('reports a lost heartbeat when nothing answers pings', async () => {
    const fake = new FakeKernel();
    await fake.start();
    const conn = new KernelConnection(fake.info, { logger: captureLogger(), heartbeatIntervalMs: 50, heartbeatMaxMissed: 3 });
    try {
      conn.startHeartbeat();
      // The fake's REP socket receives pings but never echoes them.
      const missed = await new Promise<number>((resolve) => conn.on('heartbeatLost', resolve));
      assert.equal(missed, 3);
    } finally {
      await conn.close();
      fake.close();
    }
  });

  it('fails a request with NoReplyError when the kernel went idle and no reply followed', async () => {
    const fake = new FakeKernel();
    await fake.start();
    // A second of grace: the late reply below comes 50 ms after its idle, which on a loaded machine
    // (other suites running) took more than the 150 ms this test once allowed.
    const conn = new KernelConnection(fake.info, { logger: captureLogger(), missingReplyGraceMs: 1000 });
    try {
      let iopubSeen = false;
      conn.onIopub(() => {
        iopubSeen = true;
      });
      const probe = createMessage('kernel_info_request', {}, kernelSession);
      await eventually(async () => {
        await fake.publish(probe, 'status', { execution_state: 'idle' });
        return iopubSeen;
      }, { timeoutMs: 5000, intervalMs: 50 });

      const request = conn.request('shell', 'execute_request', {
        code: 'x', silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true,
      });
      const got = await fake.receive(fake.shell);
      await fake.publish(got.msg, 'status', { execution_state: 'busy' });
      await fake.publish(got.msg, 'status', { execution_state: 'idle' });
      await assert.rejects(request.reply, NoReplyError);
      await assert.rejects(request.done, NoReplyError);

      // A reply that trails the idle within the grace period still counts.
      const late = conn.request('shell', 'kernel_info_request', {});
      const got2 = await fake.receive(fake.shell);
      await fake.publish(got2.msg, 'status', { execution_state: 'idle' });
      await sleep(50);
      await fake.reply(fake.shell, got2, 'kernel_info_reply', {
        status: 'ok', protocol_version: '5.3', implementation: 'fake', implementation_version: '1',
        language_info: { name: 'python' }, banner: '',
      });
      assert.equal((await late.done).content.status, 'ok');
    } finally {
      await conn.close();
      fake.close();
    }
  });

  it('close() fails pending requests, is idempotent, and refuses new sends', async () => {
    const fake = new FakeKernel();
    await fake.start();
    const conn = new KernelConnection(fake.info, { logger: captureLogger(), heartbeatIntervalMs: 60_000 });
    const pending = conn.request('shell', 'kernel_info_request', {});
    await fake.receive(fake.shell);
    await Promise.all([conn.close(), conn.close()]);
    await assert.rejects(pending.reply, ConnectionClosedError);
    await assert.rejects(pending.done, ConnectionClosedError);
    await assert.rejects(conn.request('shell', 'kernel_info_request', {}).reply, ConnectionClosedError);
    await assert.rejects(conn.sendShell('comm_close', { comm_id: 'x', data: {} }), ConnectionClosedError);
    fake.close();
  });
});
