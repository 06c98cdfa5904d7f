// The exercise parts of a code cell: for editors, the toolbar's "Exercise" toggle; for everyone, a
// line above the editor saying what the cell is — to a student: "type to make it yours", or
// "Edited — reset to the teacher's version" with the reset, a diff against the teacher's current
// source, and "the teacher's version changed" once it has.
import { diffLines } from 'diff';
import type * as Y from 'yjs';
import { can } from '../../shared/roles.ts';
import { exerciseCopies, exerciseCopy, isExercise, resetExercise, setExercise } from '../../shared/myCells.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellId, cellScope, cellSource, cellType } from '../../shared/schema.ts';
import { h } from '../dom.ts';
import type { NotebookSession } from '../notebook/session.ts';
import { editsOwnCopies } from './exerciseEditor.ts';

export interface ExerciseParts {
  /** For the cell's toolbar: the editors' toggle. */
  toolbar: HTMLElement[];
  /** Above the editor. */
  banner: HTMLElement;
  dispose(): void;
}

export function exerciseParts(cell: YCell, session: NotebookSession, publishButton?: HTMLButtonElement): ExerciseParts {
  const id = cellId(cell);
  const disposers: (() => void)[] = [];
  const banner = h('div', { class: 'exercise-bar', hidden: true });
  const parts: ExerciseParts = { toolbar: [], banner, dispose: () => disposers.splice(0).forEach((d) => d()) };
  if (cellType(cell) !== 'code') return parts;

  const metadata = cell.get('metadata') as Y.Map<unknown>;
  const teacherText = cellSource(cell);
  const copies = exerciseCopies(session.private.doc);
  const ownCopy = editsOwnCopies(session);

  const toggle = h('button', { class: 'exercise-toggle', title: 'Exercise: every student edits and runs their own copy of this cell' }, 'Exercise');
  toggle.addEventListener('click', () => {
    session.shared.doc.transact(() => setExercise(cell, !isExercise(cell)));
  });
  if (can.editShared(session.role)) parts.toolbar.push(toggle);

  const diff = h('pre', { class: 'exercise-diff', hidden: true, 'aria-label': 'Differences from the teacher’s version' });
  const diffToggle = h('button', { class: 'link exercise-diff-toggle' }, 'Show differences');
  diffToggle.addEventListener('click', () => {
    diff.hidden = !diff.hidden;
    render();
  });
  const reset = h('button', { class: 'exercise-reset', title: 'Delete your copy: the cell shows and runs the teacher’s version again' }, 'Reset to the teacher’s version');
  reset.addEventListener('click', () => {
    diff.hidden = true;
    resetExercise(session.private.doc, id);
  });

  let watchedCopy: Y.Text | undefined;
  const onCopyText = () => renderDiff();
  function watchCopy(text: Y.Text | undefined): void {
    if (text === watchedCopy) return;
    watchedCopy?.unobserve(onCopyText);
    watchedCopy = text;
    text?.observe(onCopyText);
  }

  function renderDiff(): void {
    const copy = exerciseCopy(session.private.doc, id);
    if (diff.hidden || !copy) return;
    const lines: HTMLElement[] = [];
    // Both end with a newline, so a last line compares equal whether or not something follows it.
    const withNewline = (text: string) => (text.endsWith('\n') || text === '' ? text : `${text}\n`);
    for (const part of diffLines(withNewline(teacherText.toString()), withNewline(copy.source.toString()))) {
      const kind = part.added ? 'add' : part.removed ? 'del' : 'same';
      const mark = part.added ? '+ ' : part.removed ? '- ' : '  ';
      for (const line of part.value.replace(/\n$/, '').split('\n')) {
        lines.push(h('span', { class: `diff-line diff-${kind}` }, `${mark}${line}\n`));
      }
    }
    diff.replaceChildren(h('span', { class: 'diff-legend' }, '- teacher’s version   + yours\n'), ...lines);
  }

  const publishLabel = publishButton ? { text: publishButton.textContent, title: publishButton.title } : undefined;
  function render(): void {
    const exercise = isExercise(cell);
    if (publishButton && publishLabel) {
      publishButton.textContent = exercise ? 'Hand in' : publishLabel.text;
      publishButton.title = exercise ? 'Hand in your version of this cell, source and output' : publishLabel.title;
    }
    toggle.classList.toggle('on', exercise);
    toggle.setAttribute('aria-pressed', String(exercise));
    toggle.hidden = cellScope(cell) !== 'user';
    banner.hidden = !exercise;
    const copy = exercise && ownCopy ? exerciseCopy(session.private.doc, id) : undefined;
    watchCopy(copy?.source);
    if (!exercise) {
      banner.replaceChildren();
      return;
    }
    if (!ownCopy) {
      banner.dataset['state'] = 'teacher';
      banner.replaceChildren(
        h('strong', {}, 'Exercise'),
        ` — ${can.editShared(session.role) ? 'each student edits and runs their own copy; you edit the teacher’s version' : 'students edit their own copy'}`,
      );
      return;
    }
    if (!copy) {
      banner.dataset['state'] = 'untouched';
      diff.hidden = true;
      banner.replaceChildren(h('strong', {}, 'Exercise'), ' — change the code and run it: your changes are your own copy, nobody else sees them');
      return;
    }
    const changed = copy.base !== teacherText.toString();
    banner.dataset['state'] = 'edited';
    banner.dataset['teacherChanged'] = String(changed);
    diffToggle.textContent = diff.hidden ? 'Show differences' : 'Hide differences';
    banner.replaceChildren(
      h('span', { class: 'exercise-edited' }, 'Edited'),
      ' — ',
      reset,
      diffToggle,
      ...(changed ? [h('span', { class: 'exercise-teacher-changed' }, 'The teacher’s version changed since you started.')] : []),
      diff,
    );
    renderDiff();
  }

  const onCopies = (event: Y.YMapEvent<Y.Map<unknown>>) => {
    if (event.keysChanged.has(id)) render();
  };
  copies.observe(onCopies);
  metadata.observe(render);
  teacherText.observe(render);
  disposers.push(
    () => copies.unobserve(onCopies),
    () => metadata.unobserve(render),
    () => teacherText.unobserve(render),
    () => watchCopy(undefined),
  );
  render();
  return parts;
}
