// Shape checks at the wire edge: a kernel's message parsed from ZeroMQ frames or a WebSocket is
// checked for the header fields and the content fields the server relies on, and refused with a
// ProtocolError otherwise, rather than let a half-formed message through.
import { ProtocolError } from './errors.ts';
import type { JSONObject, KernelMessage, MessageHeader, MsgType } from './messages.ts';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string[]';
type Shape = Record<string, FieldKind>;

const HEADER_SHAPE: Shape = { msg_id: 'string', msg_type: 'string', session: 'string', username: 'string', version: 'string' };

// Only fields the server relies on are checked; optional and kernel-specific fields pass through.
const CONTENT_SHAPES: Partial<Record<MsgType, Shape>> = {
  execute_reply: { status: 'string' },
  kernel_info_reply: { protocol_version: 'string' },
  interrupt_reply: { status: 'string' },
  shutdown_reply: { status: 'string' },
  comm_info_reply: { comms: 'object' },
  status: { execution_state: 'string' },
  stream: { name: 'string', text: 'string' },
  display_data: { data: 'object', metadata: 'object' },
  update_display_data: { data: 'object', metadata: 'object', transient: 'object' },
  execute_input: { code: 'string' },
  execute_result: { data: 'object', metadata: 'object' },
  error: { ename: 'string', evalue: 'string', traceback: 'string[]' },
  clear_output: { wait: 'boolean' },
  input_request: { prompt: 'string', password: 'boolean' },
  input_reply: { value: 'string' },
  comm_open: { comm_id: 'string', target_name: 'string' },
  comm_msg: { comm_id: 'string' },
  comm_close: { comm_id: 'string' },
};

function fieldMatches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    default:
      return typeof value === kind;
  }
}

function checkShape(what: string, value: Record<string, unknown>, shape: Shape): void {
  for (const [field, kind] of Object.entries(shape)) {
    if (!fieldMatches(value[field], kind)) {
      throw new ProtocolError(`${what}: field "${field}" must be ${kind}`);
    }
  }
}

/** Checks a decoded header; throws ProtocolError when it is not a Jupyter message header. */
export function validateHeader(what: string, value: unknown): MessageHeader {
  if (!isObject(value)) throw new ProtocolError(`${what} must be an object`);
  checkShape(what, value, HEADER_SHAPE);
  // Kernels older than 5.0 may leave out the date; the rest of the server never parses it.
  const date = typeof value.date === 'string' ? value.date : '';
  return { ...value, date } as MessageHeader;
}

/** Checks the fields of `content` the server relies on for known msg_types. */
export function validateContent(msgType: string, content: Record<string, unknown>): void {
  const shape = CONTENT_SHAPES[msgType as MsgType];
  if (shape) checkShape(`content of ${msgType}`, content, shape);
}

/**
 * Checks the four JSON parts of a message as parsed from the wire (ZeroMQ frames or a WebSocket
 * message); throws ProtocolError rather than let a half-formed message through.
 */
export function validateMessageParts(raw: { header: unknown; parent_header: unknown; metadata: unknown; content: unknown }): Pick<KernelMessage, 'header' | 'parent_header' | 'metadata' | 'content'> {
  const header = validateHeader('header', raw.header);
  const parent = raw.parent_header;
  if (!isObject(parent)) throw new ProtocolError('parent_header must be an object');
  const parentHeader: Partial<MessageHeader> = Object.keys(parent).length === 0 ? {} : validateHeader('parent_header', parent);
  const { metadata, content } = raw;
  if (!isObject(metadata)) throw new ProtocolError('metadata must be an object');
  if (!isObject(content)) throw new ProtocolError('content must be an object');
  validateContent(header.msg_type, content);
  // Parsed JSON holds only JSON values; the shape checks above made sure these are objects.
  return { header, parent_header: parentHeader, metadata: metadata as JSONObject, content: content as JSONObject };
}
