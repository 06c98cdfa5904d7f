// Jupyter messaging protocol 5.3 as data: one map from msg_type to content type, the message
// type derived from it, guards derived from it, and making a message (shape checks at the wire
// edge: messageShapes.ts).
// Spec: https://jupyter-client.readthedocs.io/en/latest/messaging.html (field names stay snake_case).
import { randomUUID } from 'node:crypto';

import { isObject } from './messageShapes.ts';

export const PROTOCOL_VERSION = '5.3';

export const CHANNELS = ['shell', 'iopub', 'stdin', 'control'] as const;
export type Channel = (typeof CHANNELS)[number];
/** Channels a client sends requests on and gets replies from. */
export type RequestChannel = 'shell' | 'control';

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };
/** A MIME bundle: mime type → data (text for most types, JSON for application/json-like types). */
export type MimeBundle = { [mime: string]: JSONValue };

export type ExecutionState = 'busy' | 'idle' | 'starting';

interface ErrorFields {
  ename: string;
  evalue: string;
  traceback: string[];
}
export type ReplyStatus = 'ok' | 'error' | 'aborted';
interface OkReply {
  status: 'ok';
}
interface ErrorReply extends ErrorFields {
  status: 'error';
}
interface AbortedReply {
  status: 'aborted';
}

export interface LanguageInfo {
  name: string;
  version?: string;
  mimetype?: string;
  file_extension?: string;
  pygments_lexer?: string;
  codemirror_mode?: string | JSONObject;
  nbconvert_exporter?: string;
}

/** Content of every message type Cohort speaks, keyed by msg_type. */
export interface MsgContent {
  // shell
  execute_request: {
    code: string;
    silent: boolean;
    store_history: boolean;
    user_expressions: JSONObject;
    allow_stdin: boolean;
    stop_on_error: boolean;
  };
  execute_reply:
    | (OkReply & { execution_count: number; payload?: JSONObject[]; user_expressions?: JSONObject })
    | (ErrorReply & { execution_count: number | null })
    | (AbortedReply & { execution_count?: number | null });
  kernel_info_request: Record<string, never>;
  kernel_info_reply: {
    status: ReplyStatus;
    protocol_version: string;
    implementation: string;
    implementation_version: string;
    language_info: LanguageInfo;
    banner: string;
    help_links?: { text: string; url: string }[];
    debugger?: boolean;
  };
  is_complete_request: { code: string };
  is_complete_reply: { status: 'complete' | 'incomplete' | 'invalid' | 'unknown'; indent?: string };
  complete_request: { code: string; cursor_pos: number };
  complete_reply:
    | (OkReply & { matches: string[]; cursor_start: number; cursor_end: number; metadata: JSONObject })
    | ErrorReply;
  inspect_request: { code: string; cursor_pos: number; detail_level: 0 | 1 };
  inspect_reply: (OkReply & { found: boolean; data: MimeBundle; metadata: JSONObject }) | ErrorReply;
  comm_info_request: { target_name?: string };
  comm_info_reply: { status: ReplyStatus; comms: { [commId: string]: { target_name: string } } };
  // control
  interrupt_request: Record<string, never>;
  interrupt_reply: { status: ReplyStatus };
  shutdown_request: { restart: boolean };
  shutdown_reply: { status: ReplyStatus; restart: boolean };
  // iopub
  status: { execution_state: ExecutionState };
  stream: { name: 'stdout' | 'stderr'; text: string };
  display_data: { data: MimeBundle; metadata: JSONObject; transient?: { display_id?: string } };
  update_display_data: { data: MimeBundle; metadata: JSONObject; transient: { display_id: string } };
  execute_input: { code: string; execution_count: number };
  execute_result: {
    execution_count: number;
    data: MimeBundle;
    metadata: JSONObject;
    transient?: { display_id?: string };
  };
  error: ErrorFields;
  clear_output: { wait: boolean };
  // stdin
  input_request: { prompt: string; password: boolean };
  input_reply: { value: string };
  // comms (shell from the client, iopub from the kernel)
  comm_open: { comm_id: string; target_name: string; data: JSONObject; target_module?: string | null };
  comm_msg: { comm_id: string; data: JSONObject };
  comm_close: { comm_id: string; data: JSONObject };
}

export type MsgType = keyof MsgContent;

/** Reply type of each request type Cohort sends with `request()`. */
export interface ReplyOf {
  execute_request: 'execute_reply';
  kernel_info_request: 'kernel_info_reply';
  is_complete_request: 'is_complete_reply';
  complete_request: 'complete_reply';
  inspect_request: 'inspect_reply';
  comm_info_request: 'comm_info_reply';
  interrupt_request: 'interrupt_reply';
  shutdown_request: 'shutdown_reply';
}
export type RequestType = keyof ReplyOf;

export interface MessageHeader<T extends string = string> {
  msg_id: string;
  msg_type: T;
  session: string;
  username: string;
  date: string;
  version: string;
  /** Jupyter kernels may add fields (e.g. subshell_id); kept as received. */
  [extra: string]: unknown;
}

/** Content type of a msg_type: the mapped type for known ones, a plain JSON object otherwise. */
export type ContentOf<T extends string> = T extends MsgType ? MsgContent[T] : JSONObject;

export interface KernelMessage<T extends string = string> {
  header: MessageHeader<T>;
  /** `{}` when the message has no parent. */
  parent_header: Partial<MessageHeader>;
  metadata: JSONObject;
  content: ContentOf<T>;
  /** Binary frames after the content frame (e.g. ipywidgets buffers); never signed. */
  buffers: Buffer[];
  /** ZeroMQ routing ids before `<IDS|MSG>` (iopub topic, ROUTER identities). */
  identities: Buffer[];
  channel?: Channel;
}

/** Narrows a message to one msg_type. Its content was shape-checked when it was decoded. */
export function isMessageType<T extends MsgType>(msg: KernelMessage, msgType: T): msg is KernelMessage<T> {
  return msg.header.msg_type === msgType;
}

export function parentMsgId(msg: KernelMessage): string | undefined {
  const id = msg.parent_header.msg_id;
  return typeof id === 'string' ? id : undefined;
}

export interface CreateMessageOptions {
  session: string;
  username: string;
  parent?: KernelMessage | MessageHeader;
  metadata?: JSONObject;
  buffers?: Buffer[];
  channel?: Channel;
  msgId?: string;
}

export function createMessage<T extends MsgType>(
  msgType: T,
  content: MsgContent[T],
  options: CreateMessageOptions,
): KernelMessage<T> {
  const parent = options.parent;
  const parentHeader = parent === undefined ? {} : 'header' in parent && isHeaderLike(parent.header) ? parent.header : parent;
  return {
    header: {
      msg_id: options.msgId ?? randomUUID(),
      msg_type: msgType,
      session: options.session,
      username: options.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: { ...parentHeader },
    metadata: options.metadata ?? {},
    content: content as ContentOf<T>,
    buffers: options.buffers ?? [],
    identities: [],
    ...(options.channel ? { channel: options.channel } : {}),
  };
}

function isHeaderLike(value: unknown): value is MessageHeader {
  return isObject(value) && typeof value.msg_id === 'string';
}
