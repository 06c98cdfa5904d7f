// What may be stored where in each kind of document, as data the update guard (schemaGuard.ts)
// and the repair on load (schemaRepair.ts) both read. It mirrors shared/schema.ts (and
// @jupyter/ydoc's YNotebook, whose `meta`/`cells`/`state` keys we share): a root or nested Y type
// is a node; a map key or an array element is a slot listing what may sit there.
import { PRIVATE_ROOTS, SHARED_ROOTS } from '../../shared/layout.ts';
import type { RoomName } from '../../shared/rooms.ts';

/**
 * Bumped whenever the schema below changes, so every stored document is checked (and repaired)
 * once more against the new one when it next loads.
 */
export const SCHEMA_VERSION = 2;

/** Deepest plain (JSON) value accepted in a document: readers and encoders recurse on it. */
export const MAX_VALUE_DEPTH = 100;

export interface MapNode {
  readonly kind: 'map';
  readonly name: string;
  /** Known keys and what each may hold. */
  readonly keys: Readonly<Record<string, readonly Slot[]>>;
  /** What any other key may hold; empty: no other keys. */
  readonly otherKeys: readonly Slot[];
  /** Keys without which readers cannot use the map (a cell without `source`). */
  readonly required: readonly string[];
}

export interface ArrayNode {
  readonly kind: 'array';
  readonly name: string;
  readonly items: readonly Slot[];
}

export interface TextNode {
  readonly kind: 'text';
  readonly name: string;
}

export type YNode = MapNode | ArrayNode | TextNode;

/** A plain value (Yjs `ContentAny`), optionally also binary (`ContentBinary`, widget buffers). */
export interface ValueSlot {
  readonly kind: 'value';
  readonly name: string;
  readonly test: (value: unknown) => boolean;
  /** Uint8Array allowed, alone or inside the value (widget state carries binary buffers). */
  readonly binary?: boolean;
}

export type Slot = YNode | ValueSlot;

export interface DocSchema {
  readonly name: string;
  readonly roots: Readonly<Record<string, MapNode | ArrayNode>>;
}

const value = (name: string, test: (v: unknown) => boolean = () => true, binary = false): ValueSlot => ({
  kind: 'value',
  name,
  test,
  binary,
});
const map = (name: string, keys: MapNode['keys'], otherKeys: readonly Slot[], required: readonly string[] = []): MapNode => ({
  kind: 'map',
  name,
  keys,
  otherKeys,
  required,
});
const array = (name: string, items: readonly Slot[]): ArrayNode => ({ kind: 'array', name, items });
const text = (name: string): TextNode => ({ kind: 'text', name });

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

const anyValue = value('a JSON value');
const string = value('a string', (v) => typeof v === 'string');
const integer = value('an integer', (v) => Number.isInteger(v));
const countOrNull = value('an integer or null', (v) => v === null || Number.isInteger(v));
const object = value('a JSON object', isObject);
const cellType = value('"code", "markdown" or "raw"', (v) => v === 'code' || v === 'markdown' || v === 'raw');

/** A Y.Map of plain values (metadata, kernel status, session state). */
const valueMap = (name: string) => map(name, {}, [anyValue]);

const output = map('output', { output_type: [string], text: [text('stream text'), string] }, [anyValue], ['output_type']);
const outputs = array('outputs', [output]);

const cell = map(
  'cell',
  {
    id: [string],
    cell_type: [cellType],
    source: [text('cell source')],
    metadata: [valueMap('cell metadata')],
    outputs: [outputs],
    execution_count: [countOrNull],
    execution_state: [string],
    attachments: [object],
  },
  [anyValue],
  ['id', 'cell_type', 'source', 'metadata'],
);

const widgetModel = map(
  'widget model',
  {
    model_name: [string],
    model_module: [string],
    model_module_version: [string],
    state: [map('widget state', {}, [value('a JSON value or binary buffer', () => true, true)])],
  },
  [anyValue],
  ['model_name', 'model_module', 'model_module_version', 'state'],
);
const widgets = map('widgets', {}, [widgetModel]);

export const SHARED_SCHEMA: DocSchema = {
  name: 'shared document',
  roots: {
    [SHARED_ROOTS.meta]: map(
      'meta',
      { nbformat: [integer], nbformat_minor: [integer], metadata: [valueMap('notebook metadata'), object] },
      [anyValue],
    ),
    [SHARED_ROOTS.cells]: array('cells', [cell]),
    [SHARED_ROOTS.widgets]: widgets,
    [SHARED_ROOTS.published]: map('published', {}, [map('published outputs of a cell', {}, [object])]),
    [SHARED_ROOTS.executions]: map('executions', {}, [object]),
    [SHARED_ROOTS.kernel]: valueMap('kernel'),
    [SHARED_ROOTS.session]: valueMap('session'),
    /** @jupyter/ydoc's YDocument keeps its document state here. */
    [SHARED_ROOTS.state]: valueMap('state'),
  },
};

/** My copy of an exercise cell (shared/myCells.ts): its source and the teacher's source it came from. */
const exerciseCopy = map('exercise copy', { source: [text('exercise copy source')], base: [string] }, [anyValue], ['source', 'base']);

/** A scratch cell (shared/myCells.ts): a cell of my own, anchored after a shared cell. */
const scratchCell = map(
  'scratch cell',
  {
    id: [string],
    cell_type: [value('"code" or "markdown"', (v) => v === 'code' || v === 'markdown')],
    source: [text('scratch cell source')],
    metadata: [valueMap('scratch cell metadata')],
    after: [value('a cell id or null', (v) => v === null || typeof v === 'string')],
    pos: [value('a relative position or null', (v) => v === null || isObject(v))],
    order: [value('a finite number', (v) => typeof v === 'number' && Number.isFinite(v))],
  },
  [anyValue],
  ['id', 'cell_type', 'source', 'metadata', 'order'],
);

export const PRIVATE_SCHEMA: DocSchema = {
  name: 'private document',
  roots: {
    [PRIVATE_ROOTS.outputs]: map('outputs', {}, [outputs]),
    [PRIVATE_ROOTS.executions]: map('executions', {}, [object]),
    [PRIVATE_ROOTS.kernel]: valueMap('kernel'),
    [PRIVATE_ROOTS.widgets]: widgets,
    [PRIVATE_ROOTS.stdin]: map('stdin', {}, [object]),
    [PRIVATE_ROOTS.exercises]: map('exercises', {}, [exerciseCopy]),
    [PRIVATE_ROOTS.scratch]: map('scratch cells', {}, [scratchCell]),
  },
};

/** Hand-ins only the teacher sees (room `<notebookId>/handins`): cellId → userId → hand-in, as `published`. */
export const HANDINS_SCHEMA: DocSchema = {
  name: 'hand-ins document',
  roots: {
    [SHARED_ROOTS.published]: map('hand-ins', {}, [map('hand-ins of a cell', {}, [object])]),
  },
};

export function schemaFor(room: RoomName): DocSchema {
  return room.kind === 'private' ? PRIVATE_SCHEMA : room.kind === 'handins' ? HANDINS_SCHEMA : SHARED_SCHEMA;
}

/** The slots for what sits under `key` (null: an array element) of a map or array; empty: nothing may. */
export function slotsUnder(node: MapNode | ArrayNode, key: string | null): readonly Slot[] {
  if (node.kind === 'map') return key === null ? [] : (node.keys[key] ?? node.otherKeys);
  return key === null ? node.items : [];
}

/**
 * Whether a plain value is JSON-safe (no bigint, undefined only where JSON drops it, no functions),
 * at most MAX_VALUE_DEPTH deep, with Uint8Array only where `binary` allows. Iterative, so a deep
 * value cannot exhaust the stack of the check itself.
 */
export function isPlainValue(root: unknown, binary: boolean): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (depth > MAX_VALUE_DEPTH) return false;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') continue; // NaN and Infinity encode as JSON null: harmless
    if (v === undefined) continue;
    if (v instanceof Uint8Array) {
      if (!binary) return false;
      continue;
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const item of Object.values(v)) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    return false; // bigint, symbol, function, class instances
  }
  return true;
}
