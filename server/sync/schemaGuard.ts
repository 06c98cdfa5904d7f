// Checks a client's Yjs update against the room's document before it is applied: it must not
// depend on anything the server lacks (Yjs would keep such structs pending in memory, serve them
// to joining clients and never store them), and it must keep the document's schema (docSchema.ts).
//
// How complete the check is. It reads the update's structs (`Y.decodeUpdate`), finds the parent
// type and map key of every new item exactly as Yjs's `Item.getMissing` will (an explicit root
// name or parent id, else inherited from the left or right neighbour, in the document or earlier
// in the same update), and checks each item's content against what the schema allows there:
// type class (Y.Map / Y.Array / Y.Text), plain values (JSON-safe, bounded depth, per-key tests),
// strings and formats only inside texts, binary only in widget state, no embeds, no sub-documents,
// no foreign roots. A new map must carry its required keys in the same update, and a deletion
// may not remove the current value of a required key unless the update sets a new one. That
// covers every way an update can add or remove content. Not checked: the *order* of array
// elements, and values that are only wrong by meaning (a cell id that another cell also has);
// readers tolerate those. A scratch copy of the document would check the result instead, but
// costs a copy of the whole document per keystroke; this costs a binary search per new item.
//
// This file keeps the schema node of each document type; updateCheck.ts checks one update,
// contentCheck.ts one item's content against its place.
import * as Y from 'yjs';
import type { DocSchema, YNode } from './docSchema.ts';
import { checkContent } from './contentCheck.ts';
import { UpdateCheck } from './updateCheck.ts';

export type GuardVerdict =
  | {
      ok: true;
      /** Whether the update adds content (not only deletions or structs the document has). */
      addsContent: boolean;
      /** Whether it deletes anything. */
      deletes: boolean;
    }
  | { ok: false; kind: 'missing-dependencies' | 'schema' | 'malformed'; reason: string };

export type Struct = Y.Item | Y.GC | Y.Skip;
export type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds'];


/** What an item's content may be in a place; for a new Y type, its schema node. */

/** The schema node of each document type, remembered (types live as long as the room's document). */
export class SchemaGuard {
  private readonly nodes = new WeakMap<Y.AbstractType<unknown>, YNode | null>();

  constructor(
    private readonly doc: Y.Doc,
    readonly schema: DocSchema,
  ) {}

  /** The schema node of a type in the document; null when the type has no place in the schema. */
  nodeOf(type: Y.AbstractType<unknown>): YNode | null {
    const known = this.nodes.get(type);
    if (known !== undefined) return known;
    // Walk up to the root (types nest only as deep as the schema admits), then down again.
    const path: Y.AbstractType<unknown>[] = [];
    let node: YNode | null = null;
    for (let t: Y.AbstractType<unknown> | null = type; t; ) {
      const cached = this.nodes.get(t);
      if (cached !== undefined) {
        node = cached;
        break;
      }
      path.push(t);
      const item: Y.Item | null = t._item;
      if (!item) {
        node = this.schema.roots[Y.findRootTypeKey(t)] ?? null;
        this.nodes.set(path.pop()!, node);
        break;
      }
      t = item.parent instanceof Y.AbstractType ? (item.parent as Y.AbstractType<unknown>) : null;
      if (!t) {
        node = null;
        break;
      }
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const t = path[i]!;
      const item = t._item!;
      const verdict = node ? checkContent(item.content, node, item.parentSub) : undefined;
      node = verdict?.ok && verdict.node ? verdict.node : null;
      this.nodes.set(t, node);
    }
    return node;
  }

  check(update: Uint8Array): GuardVerdict {
    let decoded: { structs: Struct[]; ds: DeleteSet };
    try {
      decoded = Y.decodeUpdate(update);
    } catch (err) {
      return { ok: false, kind: 'malformed', reason: `undecodable update: ${(err as Error).message}` };
    }
    return new UpdateCheck(this, this.doc, decoded.structs, decoded.ds).run();
  }
}
