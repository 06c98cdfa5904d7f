// What a shared cell shows of my own work, as one hook for the cell view: the exercise parts
// (exerciseBar.ts) and the "＋ My cell" button that adds a scratch cell of mine below it.
import type { YCell } from '../../shared/schema.ts';
import { cellId } from '../../shared/schema.ts';
import { h } from '../dom.ts';
import { canRun, type NotebookSession } from '../notebook/session.ts';
import { exerciseParts } from './exerciseBar.ts';
import './exercises.css';

export interface MyCellParts {
  toolbar: HTMLElement[];
  /** Goes above the cell's editor. */
  banner: HTMLElement;
  dispose(): void;
}

/** `publishButton`: the cell's Publish button, which an exercise turns into "Hand in". */
export function myCellParts(cell: YCell, session: NotebookSession, publishButton?: HTMLButtonElement | null): MyCellParts {
  const exercise = exerciseParts(cell, session, publishButton ?? undefined);
  const toolbar = [...exercise.toolbar];
  const scratch = session.scratch;
  if (scratch && canRun(session, 'user') && !session.runsDisabled) {
    toolbar.push(
      h('button', { class: 'add-scratch', title: 'Add a cell of your own below this one: only you see it', onclick: () => scratch.addAfter(cellId(cell)) }, '+ My cell'),
    );
  }
  return { toolbar, banner: exercise.banner, dispose: exercise.dispose };
}

/** What the server said about a publish, in words: hand-ins (source and output) name who sees them. */
export function publishedMessage(result: unknown): string {
  const answer = (result ?? {}) as { source?: unknown; visibleToClass?: unknown };
  if (typeof answer.source !== 'string') return 'Output published';
  return answer.visibleToClass === true ? 'Handed in: the class can see it' : 'Handed in: only the teacher sees it';
}
