// One client update checked against a room's document (schemaGuard.ts says how completely): every
// new item's place found as Yjs will find it, its content checked there (contentCheck.ts), its
// dependencies known, and no required key removed.
import * as Y from 'yjs';
import type { MapNode, YNode } from './docSchema.ts';
import { checkContent, withArticle } from './contentCheck.ts';
import type { DeleteSet, GuardVerdict, SchemaGuard, Struct } from './schemaGuard.ts';

/** Where an item sits: the type it belongs to (a document type, or the update item creating it) and the map key. */
type Place =
  | { kind: 'in'; node: YNode; parent: Y.AbstractType<unknown> | Y.Item; key: string | null }
  /** A neighbour or parent was garbage-collected: Yjs turns the item into a GC struct. */
  | { kind: 'gc' }
  | { kind: 'refused'; reason: string };

export class UpdateCheck {
  /** The update's structs per client, sorted by clock. */
  private readonly byClient = new Map<number, Struct[]>();
  /** Per client: the clock the document will have reached once the update is applied. */
  private readonly knownAfter = new Map<number, number>();
  private readonly places = new Map<Y.Item, Place>();
  /** Map keys the update writes: parent (document type or creating item) → keys. */
  private readonly keysSet = new Map<object, Set<string>>();
  private readonly store: Y.Doc['store'];

  constructor(
    private readonly guard: SchemaGuard,
    private readonly doc: Y.Doc,
    private readonly structs: Struct[],
    private readonly ds: DeleteSet,
  ) {
    this.store = doc.store;
  }

  run(): GuardVerdict {
    for (const struct of this.structs) {
      let list = this.byClient.get(struct.id.client);
      if (!list) this.byClient.set(struct.id.client, (list = []));
      list.push(struct);
    }
    // 1. Contiguous with what the document has: a gap is a missing dependency.
    for (const [client, list] of this.byClient) {
      list.sort((a, b) => a.id.clock - b.id.clock);
      let known = Y.getState(this.store, client);
      for (const struct of list) {
        if (struct instanceof Y.Skip) continue;
        if (struct.id.clock > known) {
          return missing(`client ${client} from clock ${struct.id.clock}, the document has ${known}`);
        }
        known = Math.max(known, struct.id.clock + struct.length);
      }
      this.knownAfter.set(client, known);
    }
    // 2. Every reference resolves to a struct the document will have.
    const fresh: Y.Item[] = [];
    for (const struct of this.structs) {
      if (!(struct instanceof Y.Item)) continue;
      if (struct.id.clock + struct.length <= Y.getState(this.store, struct.id.client)) continue; // already known: a no-op
      for (const ref of [struct.origin, struct.rightOrigin, struct.parent instanceof Y.ID ? struct.parent : null]) {
        if (!ref) continue;
        if (ref.clock >= this.known(ref.client)) return missing(`a reference to client ${ref.client} clock ${ref.clock}`);
        if (ref.client === struct.id.client && ref.clock >= struct.id.clock) {
          return { ok: false, kind: 'malformed', reason: 'an item refers to a later item of its own client' };
        }
      }
      fresh.push(struct);
    }
    for (const [client, deletions] of this.ds.clients) {
      for (const { clock, len } of deletions) {
        if (clock + len > this.known(client)) return missing(`a deletion of client ${client} clock ${clock}+${len}`);
      }
    }
    // 3. Every new item's content fits where it goes.
    let addsContent = false;
    const newMaps: Array<{ item: Y.Item; node: MapNode }> = [];
    for (const item of fresh) {
      // Deleted content carries nothing, wherever it sits (a client's full state has such items).
      if (item.content instanceof Y.ContentDeleted) continue;
      const place = this.placeOf(item);
      if (place.kind === 'refused') return schema(place.reason);
      if (place.kind === 'gc') continue;
      const verdict = checkContent(item.content, place.node, place.key);
      if (!verdict.ok) return schema(`${describePlace(place)}: ${verdict.reason}`);
      addsContent = true;
      if (place.key !== null && !Y.isDeleted(this.ds, item.id)) {
        let keys = this.keysSet.get(place.parent);
        if (!keys) this.keysSet.set(place.parent, (keys = new Set()));
        keys.add(place.key);
      }
      if (verdict.node?.kind === 'map' && verdict.node.required.length > 0 && !Y.isDeleted(this.ds, item.id)) {
        newMaps.push({ item, node: verdict.node });
      }
    }
    // 4. A new map (a cell, a widget model) comes with its required keys.
    for (const { item, node } of newMaps) {
      const keys = this.keysSet.get(item);
      const absent = node.required.filter((key) => !keys?.has(key));
      if (absent.length > 0) return schema(`${withArticle(`new ${node.name}`)} without ${absent.join(', ')}`);
    }
    // 5. No deletion leaves a map without a required key.
    const removed = this.removedRequiredKey();
    if (removed) return schema(removed);
    return { ok: true, addsContent, deletes: this.ds.clients.size > 0 };
  }

  private known(client: number): number {
    return this.knownAfter.get(client) ?? Y.getState(this.store, client);
  }

  /** The struct holding `id`: in the document if it has that clock, else in the update. */
  private structAt(id: Y.ID): Struct | undefined {
    if (id.clock < Y.getState(this.store, id.client)) return Y.getItem(this.store, id);
    const list = this.byClient.get(id.client);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!;
      if (id.clock < s.id.clock) hi = mid - 1;
      else if (id.clock >= s.id.clock + s.length) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  private fromUpdate(struct: Struct | undefined): boolean {
    return struct instanceof Y.Item && struct.id.clock >= Y.getState(this.store, struct.id.client);
  }

  /**
   * Where an item will sit, as Yjs's `Item.getMissing` decides. Each item's place depends on at
   * most one other item of the update (its neighbour or its parent type), so the chain is
   * followed in a loop (not recursively: an update can hold long chains) and then unwound.
   */
  private placeOf(start: Y.Item): Place {
    const chain: Y.Item[] = [];
    const onChain = new Set<Y.Item>();
    let base: Place | undefined;
    for (let item: Y.Item = start; ; ) {
      const memo = this.places.get(item);
      if (memo) {
        base = memo;
        break;
      }
      if (onChain.has(item)) {
        base = { kind: 'refused', reason: 'items of the update refer to each other in a cycle' };
        break;
      }
      chain.push(item);
      onChain.add(item);
      const step = this.step(item);
      if ('place' in step) {
        base = step.place;
        chain.pop();
        this.places.set(item, base);
        break;
      }
      item = step.next;
    }
    // Unwind: each item's place follows from the place of the item it depends on.
    let place = base;
    for (let i = chain.length - 1; i >= 0; i--) {
      const item = chain[i]!;
      place = this.derive(item, place);
      this.places.set(item, place);
    }
    return place;
  }

  /** Either the item's place directly, or the update item it depends on. */
  private step(item: Y.Item): { place: Place } | { next: Y.Item } {
    const left = item.origin ? this.structAt(item.origin) : undefined;
    const right = item.rightOrigin ? this.structAt(item.rightOrigin) : undefined;
    if (left instanceof Y.GC || right instanceof Y.GC) return { place: { kind: 'gc' } };
    if (item.parent === null) {
      const neighbour = left instanceof Y.Item ? left : right instanceof Y.Item ? right : undefined;
      if (!neighbour) return { place: { kind: 'refused', reason: 'an item with neither parent nor neighbours' } };
      if (this.fromUpdate(neighbour)) return { next: neighbour };
      return { place: this.placeInDoc(neighbour.parent, neighbour.parentSub) };
    }
    if (typeof item.parent === 'string') {
      const root = this.guard.schema.roots[item.parent];
      if (!root) return { place: { kind: 'refused', reason: `"${String(item.parent)}" is not a part of the ${this.guard.schema.name}` } };
      return { place: { kind: 'in', node: root, parent: this.doc.get(item.parent), key: item.parentSub } };
    }
    const parentItem = this.structAt(item.parent as Y.ID);
    if (parentItem instanceof Y.GC) return { place: { kind: 'gc' } };
    if (!(parentItem instanceof Y.Item)) return { place: { kind: 'refused', reason: 'an item whose parent is missing' } };
    if (this.fromUpdate(parentItem)) return { next: parentItem };
    if (parentItem.content instanceof Y.ContentDeleted) return { place: { kind: 'gc' } };
    if (!(parentItem.content instanceof Y.ContentType)) return { place: { kind: 'refused', reason: 'an item whose parent is not a type' } };
    return { place: this.placeInDoc(parentItem.content.type as Y.AbstractType<unknown>, item.parentSub) };
  }

  /** The place of `item` given the place of the update item it depends on. */
  private derive(item: Y.Item, dependency: Place): Place {
    if (dependency.kind !== 'in') return dependency;
    if (item.parent === null) return dependency; // same parent and key as its neighbour
    // `item.parent` is the id of the update item that created the parent type.
    const parentItem = this.structAt(item.parent as Y.ID) as Y.Item;
    if (parentItem.content instanceof Y.ContentDeleted) return { kind: 'gc' };
    if (!(parentItem.content instanceof Y.ContentType)) return { kind: 'refused', reason: 'an item whose parent is not a type' };
    const verdict = checkContent(parentItem.content, dependency.node, dependency.key);
    if (!verdict.ok || !verdict.node) return { kind: 'refused', reason: `${describePlace(dependency)}: ${verdict.ok ? 'not a type' : verdict.reason}` };
    return { kind: 'in', node: verdict.node, parent: parentItem, key: item.parentSub };
  }

  private placeInDoc(parent: Y.Item['parent'], key: string | null): Place {
    if (!(parent instanceof Y.AbstractType)) return { kind: 'refused', reason: 'an item whose parent is unknown' };
    const node = this.guard.nodeOf(parent as Y.AbstractType<unknown>);
    if (!node) return { kind: 'refused', reason: 'a write into a part of the document outside its schema' };
    return { kind: 'in', node, parent: parent as Y.AbstractType<unknown>, key };
  }

  /** A deletion of the current value of a required key (a cell's `source`) that the update does not replace. */
  private removedRequiredKey(): string | undefined {
    for (const [client, deletions] of this.ds.clients) {
      const structs = this.store.clients.get(client);
      if (!structs) continue;
      const docClock = Y.getState(this.store, client);
      for (const { clock, len } of deletions) {
        const end = Math.min(clock + len, docClock);
        if (clock >= end) continue;
        for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
          const struct = structs[i]!;
          if (struct.id.clock >= end) break;
          if (!(struct instanceof Y.Item) || struct.deleted || struct.parentSub === null) continue;
          const parent = struct.parent as Y.AbstractType<unknown>;
          const node = this.guard.nodeOf(parent);
          if (node?.kind !== 'map' || !node.required.includes(struct.parentSub)) continue;
          if (parent._map.get(struct.parentSub) !== struct) continue; // an older value: already replaced
          // The whole map goes (Yjs deletes a type's entries with it), now or already.
          if (parent._item && (parent._item.deleted || Y.isDeleted(this.ds, parent._item.id))) continue;
          if (this.keysSet.get(parent)?.has(struct.parentSub)) continue;
          return `deleting the ${struct.parentSub} of a ${node.name}`;
        }
      }
    }
    return undefined;
  }
}

function describePlace(place: Place & { kind: 'in' }): string {
  return place.key === null ? `in ${place.node.name}` : `under "${place.key}" of ${place.node.name}`;
}

const missing = (what: string): GuardVerdict => ({ ok: false, kind: 'missing-dependencies', reason: `depends on changes the server does not have (${what})` });
const schema = (reason: string): GuardVerdict => ({ ok: false, kind: 'schema', reason });
