// A one-off repair of a document as it is loaded: whatever the schema (docSchema.ts) forbids —
// stored before the update guard existed — is deleted, and a copy of each removed entry is
// returned for the log. The deletion is an ordinary Yjs update, stored like any other, so the
// next load finds nothing to repair. Structs that wait for missing dependencies are dropped too:
// they were never part of the document anyone could read.
import * as Y from 'yjs';
import type { DocSchema, MapNode, YNode } from './docSchema.ts';
import { checkContent } from './contentCheck.ts';

export interface RemovedEntry {
  /** Where it was, e.g. `cells[3]`, `cells[0].source`, `evil` (a foreign root). */
  path: string;
  reason: string;
  /** A JSON copy of what was removed (cut at COPY_LIMIT characters; `bytes` says how long it was). */
  copy: string;
  bytes: number;
}

/** Longest copy of one removed entry kept in the log. */
const COPY_LIMIT = 1024 * 1024;

type Content = Y.Item['content'];

export function repairDocument(doc: Y.Doc, schema: DocSchema, origin: unknown): RemovedEntry[] {
  const removed: RemovedEntry[] = [];
  const pending = doc.store.pendingStructs?.update ?? doc.store.pendingDs;
  if (pending) {
    removed.push({ path: '(pending)', reason: 'depends on changes that were never stored', copy: '', bytes: pending.byteLength });
    doc.store.pendingStructs = null;
    doc.store.pendingDs = null;
  }
  doc.transact((transaction) => {
    const remove = (item: Y.Item, path: string, reason: string) => {
      removed.push({ path, reason, ...copyOf(item.content) });
      item.delete(transaction);
    };
    for (const [name, type] of doc.share) {
      const root = schema.roots[name];
      if (root) walk(type as Y.AbstractType<unknown>, root, name, remove);
      else for (const [item, path] of children(type as Y.AbstractType<unknown>, name)) remove(item, path, `"${name}" is not a part of the ${schema.name}`);
    }
  }, origin);
  return removed;
}

type Remove = (item: Y.Item, path: string, reason: string) => void;

/** Checks every live entry of a type against its node, removing what does not fit. */
function walk(type: Y.AbstractType<unknown>, node: YNode, path: string, remove: Remove): void {
  for (const [item, itemPath, key] of children(type, path)) {
    const verdict = checkContent(item.content, node, key);
    if (!verdict.ok) {
      remove(item, itemPath, verdict.reason);
      continue;
    }
    if (!verdict.node) continue;
    const child = (item.content as Y.ContentType).type as Y.AbstractType<unknown>;
    walk(child, verdict.node, itemPath, remove);
    const absent = verdict.node.kind === 'map' ? missingKeys(child, verdict.node) : [];
    if (absent.length > 0) remove(item, itemPath, `a ${verdict.node.name} without ${absent.join(', ')}`);
  }
}

function missingKeys(map: Y.AbstractType<unknown>, node: MapNode): string[] {
  return node.required.filter((key) => {
    const item = map._map.get(key);
    return !item || item.deleted;
  });
}

/** The live items of a type: its list elements (with their index) and its map entries. */
function* children(type: Y.AbstractType<unknown>, path: string): Generator<[Y.Item, string, string | null]> {
  let index = 0;
  for (let item = type._start; item; item = item.right) {
    if (item.deleted) continue;
    yield [item, `${path}[${index}]`, null];
    index += item.length;
  }
  for (const [key, item] of [...type._map]) {
    if (!item.deleted) yield [item, `${path}.${key}`, key];
  }
}

/** A JSON copy of removed content; never throws (deep or odd values are described instead). */
function copyOf(content: Content): { copy: string; bytes: number } {
  let value: unknown;
  try {
    if (content instanceof Y.ContentType) value = content.type.toJSON();
    else if (content instanceof Y.ContentBinary) value = { binary: Buffer.from(content.content).toString('base64') };
    else if (content instanceof Y.ContentDoc) value = { subdocument: content.doc?.guid };
    else if (content instanceof Y.ContentString) value = content.str;
    else value = content.getContent();
    const json = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? { binary: Buffer.from(v).toString('base64') } : v,
    ) ?? 'undefined';
    return { copy: json.length > COPY_LIMIT ? `${json.slice(0, COPY_LIMIT)}…` : json, bytes: json.length };
  } catch (err) {
    return { copy: `(not copyable: ${(err as Error).message})`, bytes: 0 };
  }
}
