// The Jupyter wire format: frames <-> messages, signed with HMAC-SHA256.
// Spec, "The Wire Protocol": [routing ids..., '<IDS|MSG>', hmac hex, header, parent_header,
// metadata, content, buffers...]; the signature covers the four JSON frames in that order.
import { createHmac, timingSafeEqual } from 'node:crypto';

import { ProtocolError } from './errors.ts';
import { validateMessageParts } from './messageShapes.ts';
import type { Channel, KernelMessage } from './messages.ts';

export const DELIMITER = Buffer.from('<IDS|MSG>');
/** signature, header, parent_header, metadata, content */
const SIGNED_PART_FRAMES = 5;

export type Frame = Buffer | Uint8Array;

/** HMAC-SHA256 (hex) of the four JSON frames; '' when the key is empty (signing disabled by the spec). */
export function sign(parts: readonly Frame[], key: string | Buffer): string {
  if (key.length === 0) return '';
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

export function encodeMessage(msg: KernelMessage, key: string | Buffer): Buffer[] {
  const parts = [
    Buffer.from(JSON.stringify(msg.header)),
    Buffer.from(JSON.stringify(msg.parent_header)),
    Buffer.from(JSON.stringify(msg.metadata)),
    Buffer.from(JSON.stringify(msg.content)),
  ];
  return [...msg.identities, DELIMITER, Buffer.from(sign(parts, key)), ...parts, ...msg.buffers];
}

export function decodeMessage(frames: readonly Frame[], key: string | Buffer, channel?: Channel): KernelMessage {
  const bufs = frames.map(toBuffer);
  const delimiterAt = bufs.findIndex((f) => f.equals(DELIMITER));
  if (delimiterAt < 0) throw new ProtocolError('no <IDS|MSG> delimiter in message');
  const first = delimiterAt + 1;
  if (bufs.length - first < SIGNED_PART_FRAMES) {
    throw new ProtocolError(`expected at least ${SIGNED_PART_FRAMES} frames after the delimiter, got ${bufs.length - first}`);
  }
  const signature = bufs[first] as Buffer;
  const parts = bufs.slice(first + 1, first + SIGNED_PART_FRAMES);
  verifySignature(signature, parts, key);

  const [headerFrame, parentFrame, metadataFrame, contentFrame] = parts as [Buffer, Buffer, Buffer, Buffer];
  const checked = validateMessageParts({
    header: parseJSON('header', headerFrame),
    parent_header: parseJSON('parent_header', parentFrame),
    metadata: parseJSON('metadata', metadataFrame),
    content: parseJSON('content', contentFrame),
  });
  return {
    ...checked,
    buffers: bufs.slice(first + SIGNED_PART_FRAMES),
    identities: bufs.slice(0, delimiterAt),
    ...(channel ? { channel } : {}),
  };
}

function verifySignature(signature: Buffer, parts: readonly Buffer[], key: string | Buffer): void {
  if (key.length === 0) return;
  const expected = Buffer.from(sign(parts, key));
  // timingSafeEqual throws on a length mismatch, and a length mismatch is already a bad signature.
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new ProtocolError('invalid message signature');
  }
}

function parseJSON(what: string, frame: Buffer): unknown {
  try {
    return JSON.parse(frame.toString('utf8'));
  } catch (error) {
    throw new ProtocolError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function toBuffer(frame: Frame): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
