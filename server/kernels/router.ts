// The request bookkeeping of one kernel connection, whatever carries its messages (ZeroMQ
// sockets to a local kernel, a WebSocket to a remote one): builds outgoing messages with the
// connection's session, keeps the pending requests, and routes each incoming message to the
// request it answers and to the connection's listeners.
import { randomUUID } from 'node:crypto';

import type { Logger } from './logger.ts';
import { createMessage, isMessageType, parentMsgId } from './messages.ts';
import type { Channel, KernelMessage, MessageHeader, MsgContent, MsgType, ReplyOf, RequestChannel, RequestType } from './messages.ts';
import { PendingRequest } from './request.ts';
import type { RequestRoute } from './request.ts';
import type { JSONObject } from './messages.ts';

export interface RequestOptions {
  metadata?: JSONObject;
  buffers?: Buffer[];
  /** The message id to use, for callers that must recognise replies before the send resolves. */
  msgId?: string;
}

export interface MessageRouterOptions {
  logger: Logger;
  /** Session id of this client (the ZeroMQ routing id of shell and stdin, see connection.ts). */
  session?: string;
  username?: string;
  /** How long after a request's iopub idle its reply may still come before NoReplyError. Default 3 s. */
  missingReplyGraceMs?: number;
  /** Every iopub message, after the request it belongs to (if any) saw it. */
  onIopub: (msg: KernelMessage) => void;
  /** Every `input_request`, whether or not a request has stdin listeners. */
  onStdin: (msg: KernelMessage<'input_request'>) => void;
}

export class MessageRouter {
  readonly session: string;
  readonly username: string;
  private readonly pending = new Map<string, RequestRoute>();

  constructor(private readonly options: MessageRouterOptions) {
    this.session = options.session ?? randomUUID();
    this.username = options.username ?? 'cohort';
  }

  /** A message from this client's session. */
  message<T extends MsgType>(
    msgType: T,
    content: MsgContent[T],
    channel: Channel,
    options: RequestOptions & { parent?: KernelMessage | MessageHeader | undefined } = {},
  ): KernelMessage<T> {
    return createMessage(msgType, content, {
      session: this.session,
      username: this.username,
      channel,
      ...(options.parent ? { parent: options.parent } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.buffers ? { buffers: options.buffers } : {}),
      ...(options.msgId ? { msgId: options.msgId } : {}),
    });
  }

  /** A request, registered so its reply, iopub and stdin traffic reach it; the caller sends `request.message`. */
  request<T extends RequestType>(channel: RequestChannel, msgType: T, content: MsgContent[T], options: RequestOptions = {}): PendingRequest<T> {
    const message = this.message(msgType, content, channel, options);
    const request = new PendingRequest<T>(
      message,
      replyTypeOf(msgType),
      (r) => this.pending.delete(r.msgId),
      (error) => this.options.logger.error({ err: error, msgId: message.header.msg_id }, 'kernel request listener threw'),
      this.options.missingReplyGraceMs,
    );
    this.pending.set(request.msgId, request);
    return request;
  }

  route(msg: KernelMessage, channel: Channel): void {
    const parentId = parentMsgId(msg);
    const request = parentId === undefined ? undefined : this.pending.get(parentId);
    switch (channel) {
      case 'shell':
      case 'control':
        if (request) request.handleReply(msg);
        else this.options.logger.debug({ channel, msgType: msg.header.msg_type, parentId }, 'reply to no pending request');
        return;
      case 'iopub':
        request?.handleIopub(msg);
        this.options.onIopub(msg);
        return;
      case 'stdin':
        if (isMessageType(msg, 'input_request')) {
          request?.handleStdin(msg);
          this.options.onStdin(msg);
        }
        return;
    }
  }

  /** Fails every pending request (the connection closed, the kernel restarted or died). */
  failAll(error: Error): void {
    for (const request of [...this.pending.values()]) request.fail(error);
    this.pending.clear();
  }
}

function replyTypeOf<T extends RequestType>(msgType: T): ReplyOf[T] {
  // Every request type's reply type is its name with `_request` replaced by `_reply` (spec naming rule).
  return msgType.replace(/_request$/, '_reply') as ReplyOf[T];
}
