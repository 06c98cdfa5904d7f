// The source my runs of a shared cell use, as a Y.Text: my copy of an exercise cell I edited (as a
// student), else the cell's own. For views that compare what ran with what is shown (stale outputs).
import type * as Y from 'yjs';
import { exerciseCopies, exerciseCopy, isExercise } from '../../shared/myCells.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellId, cellSource } from '../../shared/schema.ts';
import type { NotebookSession } from '../notebook/session.ts';
import { editsOwnCopies } from './exerciseEditor.ts';

export interface MySource {
  text(): Y.Text;
  dispose(): void;
}

/** `onChange` hears when which text is mine changes (a copy made or reset, the exercise mark toggled). */
export function mySource(cell: YCell, session: NotebookSession, onChange: () => void): MySource {
  const id = cellId(cell);
  const copies = exerciseCopies(session.private.doc);
  const metadata = cell.get('metadata') as Y.Map<unknown>;
  const onCopies = (event: Y.YMapEvent<Y.Map<unknown>>) => {
    if (event.keysChanged.has(id)) onChange();
  };
  const onMetadata = () => onChange();
  copies.observe(onCopies);
  metadata.observe(onMetadata);
  return {
    text: () => (editsOwnCopies(session) && isExercise(cell) ? exerciseCopy(session.private.doc, id)?.source : undefined) ?? cellSource(cell),
    dispose() {
      copies.unobserve(onCopies);
      metadata.unobserve(onMetadata);
    },
  };
}
