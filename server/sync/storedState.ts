// A room's document as the store has it: loaded (applied without being stored again), repaired once
// per schema version, and — while nothing has changed since — the loaded bytes themselves as the
// answer to a client that has nothing yet.
import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { DocumentLog } from '../store/types.ts';
import type { DocSchema } from './docSchema.ts';
import { SCHEMA_VERSION } from './docSchema.ts';
import type { DocumentSize } from './documentSize.ts';
import { repairDocument } from './schemaRepair.ts';
import type { StoreThenBroadcast } from './storeThenBroadcast.ts';

/** Transaction origin of state loaded from the store: not stored again. */
export const FROM_STORE = Symbol('from-store');
/** Transaction origin of the repair on load: stored like any change. */
const REPAIR = Symbol('repair');

export class StoredState {
  /**
   * The stored state as loaded, while nothing has changed since: a client that has nothing yet
   * (the usual first sync) gets these bytes as they are, without encoding the document again.
   */
  private asLoaded: Uint8Array | undefined;

  constructor(
    private readonly doc: Y.Doc,
    private readonly name: string,
    private readonly docs: DocumentLog,
    private readonly schema: DocSchema,
    private readonly size: DocumentSize,
    /** Where the repair is stored, like any change. */
    private readonly chain: StoreThenBroadcast,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    const update = await this.docs.load(this.name);
    if (!update) return;
    Y.applyUpdate(this.doc, update, FROM_STORE);
    this.asLoaded = update;
    this.size.loaded(update.byteLength);
    if ((await this.docs.checkedAgainst(this.name)) !== SCHEMA_VERSION) await this.repair();
  }

  /** The document changed: the loaded bytes are no longer all of it. */
  changed(): void {
    this.asLoaded = undefined;
  }

  /** What a client whose state is `stateVector` lacks, as one update. */
  missingFrom(stateVector: Uint8Array): Uint8Array {
    const empty = stateVector.length === 1 && stateVector[0] === 0;
    return empty && this.asLoaded ? this.asLoaded : Y.encodeStateAsUpdate(this.doc, stateVector);
  }

  /**
   * Once per document (and schema version): removes what the schema forbids — stored before the
   * guard existed, or by an older server — logging a copy of each removed entry. The removal is
   * an update like any other, stored before the document is marked as checked; every write
   * since passed the guard, so later loads skip this walk over the whole document.
   */
  private async repair(): Promise<void> {
    const removed = repairDocument(this.doc, this.schema, REPAIR);
    if (removed.length > 0) {
      this.log.warn({ removed }, `document repaired on load: ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'} outside the schema removed`);
    }
    await this.chain.flushed();
    if (!this.chain.broken) await this.docs.markChecked(this.name, SCHEMA_VERSION);
  }
}
