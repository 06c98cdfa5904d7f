// The editor of a code cell for someone who may run cells but not edit the notebook (a student).
// On an exercise cell it is theirs to edit: until their first change it shows the teacher's
// source live; that first change makes their own copy in their private document (from the
// teacher's source as it is then) and the editor switches to the copy, carrying the change over.
// A reset deletes the copy and the editor shows the teacher's source again. Everyone else (editors,
// viewers, cells that are not exercises) gets the plain editor of the shared source.
//
// Why a switch rather than one editor: the shared source is read-only for students (the server
// refuses their writes to the shared document), so the first keystroke must never reach it. A
// transaction filter stops it before y-codemirror.next would write it, and replays it on the copy.
import { EditorState, Transaction, type TransactionSpec } from '@codemirror/state';
import { ySyncAnnotation } from 'y-codemirror.next';
import type * as Y from 'yjs';
import { can } from '../../shared/roles.ts';
import { createExerciseCopy, exerciseCopies, exerciseCopy, isExercise } from '../../shared/myCells.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellId, cellSource, cellType } from '../../shared/schema.ts';
import { createCellEditor, type CellEditor, type EditorOptions } from '../cell/editor.ts';
import { canRun, type NotebookSession } from '../notebook/session.ts';

type Mode = 'shared' | 'teacher' | 'copy';

/** Whether this user edits exercise cells through their own copy (runners who are not editors). */
export function editsOwnCopies(session: NotebookSession): boolean {
  return canRun(session, 'user') && !can.editShared(session.role);
}

export function cellEditorFor(cell: YCell, session: NotebookSession, host: HTMLElement, options: Omit<EditorOptions, 'source'>): CellEditor {
  if (cellType(cell) !== 'code' || !editsOwnCopies(session)) return createCellEditor(host, { ...options, source: cellSource(cell) });
  return new ExerciseEditor(cell, session, host, options);
}

class ExerciseEditor implements CellEditor {
  private current!: CellEditor;
  private mode: Mode | undefined;
  private boundTo: Y.Text | undefined;
  private forcedReadOnly = false;
  private privateSynced = false;
  private disposed = false;
  private readonly id: string;
  private readonly metadata: Y.Map<unknown>;
  private readonly copies: Y.Map<Y.Map<unknown>>;
  private readonly onCopies = (event: Y.YMapEvent<Y.Map<unknown>>) => {
    if (event.keysChanged.has(this.id)) this.rebuild();
  };
  private readonly onMetadata = () => this.rebuild();

  constructor(
    private readonly cell: YCell,
    private readonly session: NotebookSession,
    private readonly host: HTMLElement,
    private readonly options: Omit<EditorOptions, 'source'>,
  ) {
    this.id = cellId(cell);
    this.metadata = cell.get('metadata') as Y.Map<unknown>;
    this.copies = exerciseCopies(session.private.doc);
    this.copies.observe(this.onCopies);
    this.metadata.observe(this.onMetadata);
    this.rebuild();
    // Until my private document has synced I cannot know whether I have a copy: no editing before.
    session.private.synced.then(() => {
      this.privateSynced = true;
      this.rebuild();
    }, () => undefined);
  }

  get view() {
    return this.current.view;
  }

  private wantedMode(): { mode: Mode; text: Y.Text } {
    if (!this.privateSynced || !isExercise(this.cell)) return { mode: 'shared', text: cellSource(this.cell) };
    const copy = exerciseCopy(this.session.private.doc, this.id);
    return copy ? { mode: 'copy', text: copy.source } : { mode: 'teacher', text: cellSource(this.cell) };
  }

  private rebuild(): void {
    if (this.disposed) return;
    const { mode, text } = this.wantedMode();
    if (mode === this.mode && text === this.boundTo) return;
    const previous = this.current as CellEditor | undefined;
    const hadFocus = previous?.view.hasFocus ?? false;
    const selection = previous?.view.state.selection;
    previous?.destroy();
    // My cursor was in the teacher's source, in the notebook's presence; it is in my copy now.
    if (previous && this.mode !== 'copy' && mode === 'copy' && hadFocus) this.options.awareness.setLocalStateField('cursor', null);
    this.host.replaceChildren();
    this.mode = mode;
    this.boundTo = text;
    this.current = createCellEditor(this.host, {
      ...this.options,
      source: text,
      // Cursors in my copy go to my private room's presence, which only my own tabs see.
      awareness: mode === 'copy' ? this.session.private.provider.awareness : this.options.awareness,
      readOnly: this.forcedReadOnly || mode === 'shared',
      extensions: mode === 'teacher' ? [this.firstEditHook()] : [],
    });
    this.host.parentElement?.closest('.cell')?.setAttribute('data-exercise-mode', mode);
    if (selection && selection.main.to <= this.current.view.state.doc.length) {
      this.current.view.dispatch({ selection: selection });
    }
    if (hadFocus) this.current.focus();
  }

  /** Stops edits of the teacher's source; the first one makes my copy and is replayed there. */
  private firstEditHook() {
    return EditorState.transactionFilter.of((tr) => {
      if (!tr.docChanged || tr.annotation(ySyncAnnotation) !== undefined) return tr;
      // After the dispatch that is running now: the copy replaces this very editor.
      queueMicrotask(() => this.makeCopy(tr));
      return [] as TransactionSpec[];
    });
  }

  private makeCopy(tr: Transaction): void {
    if (this.disposed || this.mode !== 'teacher' || this.forcedReadOnly) return;
    const teacher = cellSource(this.cell).toString();
    // The change was made against what the editor showed; if the teacher's source moved on in
    // between (it cannot within one turn, but be sure), the keystroke is dropped, not misplaced.
    const replay = tr.startState.doc.toString() === teacher;
    createExerciseCopy(this.session.private.doc, this.id, teacher); // rebuilds this editor on the copy
    // TypeScript cannot see that createExerciseCopy switched the mode (through the observer).
    if (!replay || (this.mode as Mode) !== 'copy') return;
    this.current.view.dispatch({
      changes: tr.changes,
      selection: tr.selection,
      userEvent: tr.annotation(Transaction.userEvent),
      scrollIntoView: true,
    });
    this.current.focus();
  }

  setReadOnly(readOnly: boolean): void {
    this.forcedReadOnly = readOnly;
    this.current.setReadOnly(readOnly || this.mode === 'shared');
  }

  focus(): void {
    this.current.focus();
  }

  destroy(): void {
    this.disposed = true;
    this.copies.unobserve(this.onCopies);
    this.metadata.unobserve(this.onMetadata);
    this.current.destroy();
  }
}
