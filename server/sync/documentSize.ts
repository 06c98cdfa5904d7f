// A room's document size against its limit (--max-document-bytes), cheaply: an estimate (the size
// last measured plus the bytes of every update since), measured again by encoding the document only
// when the estimate says a write would not fit — after a deletion, once the estimate grew by a 256th
// of the limit, or once a second: a full document does not cost an encoding per keystroke.
import * as Y from 'yjs';

export class DocumentSize {
  /** The document's encoded size when last measured, and bytes of updates since (an estimate of growth). */
  private measured = 0;
  private since = 0;
  private measuredAt = 0;
  /** A client deleted something since the last measure: the estimate may be far too high. */
  private shrunkSince = false;

  constructor(
    private readonly doc: Y.Doc,
    private readonly max: number,
  ) {}

  /** The document as loaded from the store measures `bytes`. */
  loaded(bytes: number): void {
    this.measured = bytes;
    this.measuredAt = Date.now();
  }

  /** An update of `bytes` was made (by anyone). */
  grew(bytes: number): void {
    this.since += bytes;
  }

  /** An accepted write deleted something. */
  shrank(): void {
    this.shrunkSince = true;
  }

  /** Whether adding `incoming` bytes would take the document past its limit. */
  wouldExceed(incoming: number): boolean {
    if (this.measured + this.since + incoming <= this.max) return false;
    const stale = this.shrunkSince || this.since > this.max / 256 || Date.now() - this.measuredAt > 1000;
    if (this.since > 0 && stale) {
      this.measured = Y.encodeStateAsUpdate(this.doc).byteLength;
      this.since = 0;
      this.measuredAt = Date.now();
      this.shrunkSince = false;
    }
    return this.measured + this.since + incoming > this.max;
  }
}
