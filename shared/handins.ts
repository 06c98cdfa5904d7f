// Hand-ins: a student's exercise or scratch cell handed in with its source and output. Like a
// published output (shared/schema.ts PublishedOutput) plus the source; kept under
// `published/<cellId>/<userId>` of the teacher-only document (room `<notebookId>/handins`), or of
// the shared document when the live session's option `handinsVisible` makes them class-visible.
import { sharedDoc } from './layout.ts';
import type * as Y from 'yjs';
import type { PublishedOutput } from './schema.ts';

export interface HandIn extends PublishedOutput {
  /** The student's source of the cell when they handed it in. */
  source: string;
  cell_type: 'code' | 'markdown';
  kind: 'exercise' | 'scratch';
  /** Scratch cells: the shared cell it follows (null: before the first), for the board's label. */
  after?: string | null;
  /** The live session it was handed in during (its start time), or null outside a session. */
  session?: number | null;
}

export function isHandIn(entry: unknown): entry is HandIn {
  return typeof entry === 'object' && entry !== null && typeof (entry as { source?: unknown }).source === 'string';
}

export function publishedMap(doc: Y.Doc): Y.Map<Y.Map<PublishedOutput>> {
  // The hand-ins document keeps the shared document's layout for them.
  return sharedDoc(doc).published;
}

/** Whether hand-ins go to the whole class (the live session's option; off unless the owner says so). */
export function handinsVisible(sharedYDoc: Y.Doc): boolean {
  return sharedDoc(sharedYDoc).session.get('handinsVisible') === true;
}
