// Whether one item's content may stand at a place of the document schema (docSchema.ts): the right
// type class, plain values that are JSON-safe and pass the key's test, text formats only in texts.
import * as Y from 'yjs';
import type { Slot, YNode } from './docSchema.ts';
import { isPlainValue, slotsUnder } from './docSchema.ts';

type Content = Y.Item['content'];

export type ContentVerdict = { ok: true; node?: YNode } | { ok: false; reason: string };

/**
 * Whether an item's content may sit under `key` of a `parent` node (key null: an array or text
 * element). For a Y type, the verdict carries its schema node.
 */
export function checkContent(content: Content, parent: YNode, key: string | null): ContentVerdict {
  if (content instanceof Y.ContentDeleted) return { ok: true };
  if (parent.kind === 'text') {
    // A text holds characters (and formatting marks, which readers ignore); nothing else, no keys.
    if (key === null && (content instanceof Y.ContentString || content instanceof Y.ContentFormat)) return { ok: true };
    return { ok: false, reason: `${describeContent(content)} where characters belong` };
  }
  const slots = slotsUnder(parent, key);
  if (slots.length === 0) return { ok: false, reason: key === null ? 'elements in a map' : `no key "${key}" in ${withArticle(parent.kind)}` };
  if (content instanceof Y.ContentType) {
    const type = content.type;
    const kind = type.constructor === Y.Map ? 'map' : type.constructor === Y.Array ? 'array' : type.constructor === Y.Text ? 'text' : undefined;
    const node = slots.find((slot): slot is YNode => slot.kind === kind);
    return node ? { ok: true, node } : { ok: false, reason: `${describeContent(content)} where ${expected(slots)} belongs` };
  }
  if (content instanceof Y.ContentAny) {
    if (key !== null && content.arr.length !== 1) return { ok: false, reason: 'a map entry with several values' };
    for (const v of content.arr) {
      const fits = slots.some((slot) => slot.kind === 'value' && slot.test(v) && isPlainValue(v, slot.binary === true));
      if (!fits) return { ok: false, reason: `${describeValue(v)} where ${expected(slots)} belongs` };
    }
    return { ok: true };
  }
  if (content instanceof Y.ContentBinary && slots.some((slot) => slot.kind === 'value' && slot.binary)) return { ok: true };
  // Characters outside a text, ContentJSON (pre-v13 values), embeds, sub-documents: never written by our clients.
  return { ok: false, reason: `${describeContent(content)} where ${expected(slots)} belongs` };
}

function describeContent(content: Content): string {
  if (content instanceof Y.ContentType) {
    const type = content.type;
    return type.constructor === Y.Map ? 'a Y.Map' : type.constructor === Y.Array ? 'a Y.Array' : type.constructor === Y.Text ? 'a Y.Text' : `a ${type.constructor.name}`;
  }
  if (content instanceof Y.ContentString) return 'characters';
  if (content instanceof Y.ContentAny) return content.arr.length === 1 ? describeValue(content.arr[0]) : 'plain values';
  if (content instanceof Y.ContentBinary) return 'binary data';
  return content.constructor.name;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a JSON array';
  if (v instanceof Uint8Array) return 'binary data';
  return typeof v === 'object' ? 'a JSON object' : `a ${typeof v}`;
}

function expected(slots: readonly Slot[]): string {
  return slots.map((slot) => (slot.kind === 'value' ? slot.name : withArticle(slot.name))).join(' or ');
}

export function withArticle(name: string): string {
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}
