// One CodeMirror 6 editor bound to a cell's Y.Text. Undo is Yjs's (so it undoes only this user's
// edits, never a co-author's), which is why CodeMirror's own history is left out.
import * as Y from 'yjs';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, highlightSpecialChars, keymap, type KeyBinding } from '@codemirror/view';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { classHighlighter } from '@lezer/highlight';
import { python } from '@codemirror/lang-python';
import { markdown } from '@codemirror/lang-markdown';
import { yCollab } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import type { CellType } from '../../shared/nbformat.ts';
import { styleNonce } from '../cspNonce.ts';
import { remoteCursors } from '../presence/remoteCursors.ts';

export interface CellEditor {
  readonly view: EditorView;
  setReadOnly(readOnly: boolean): void;
  focus(): void;
  destroy(): void;
}

export interface EditorOptions {
  source: Y.Text;
  awareness: Awareness;
  cellType: CellType;
  readOnly: boolean;
  /** Jupyter's edit-mode keys (Shift-Enter, Mod-Enter, Escape...), bound above CodeMirror's own. */
  keys: KeyBinding[];
  onFocus(): void;
  /** More extensions (an exercise cell's first-edit hook, client/exercises/exerciseEditor.ts). */
  extensions?: Extension[];
}

function language(cellType: CellType): Extension {
  if (cellType === 'code') return python();
  if (cellType === 'markdown') return markdown();
  return [];
}

function editability(readOnly: boolean): Extension {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

export function createCellEditor(parent: HTMLElement, options: EditorOptions): CellEditor {
  const access = new Compartment();
  const undoManager = new Y.UndoManager(options.source);
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.source.toString(),
      extensions: [
        Prec.highest(keymap.of(options.keys)),
        highlightSpecialChars(),
        drawSelection(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of('    '),
        // Token classes (`tok-keyword`…) coloured by style.css, so light and dark themes are CSS only.
        syntaxHighlighting(classHighlighter),
        keymap.of([...defaultKeymap, indentWithTab]),
        language(options.cellType),
        // Text sync and undo from y-codemirror.next; other people's cursors from our own plugin,
        // which checks what their awareness states carry (remoteCursors.ts).
        yCollab(options.source, null, { undoManager }),
        remoteCursors(options.source, options.awareness),
        // CodeMirror puts its styles in one <style> element; the CSP admits it by this nonce.
        EditorView.cspNonce.of(styleNonce()),
        access.of(editability(options.readOnly)),
        EditorView.lineWrapping,
        EditorView.domEventHandlers({ focus: () => options.onFocus() }),
        ...(options.extensions ?? []),
      ],
    }),
  });
  return {
    view,
    setReadOnly(readOnly) {
      view.dispatch({ effects: access.reconfigure(editability(readOnly)) });
    },
    focus() {
      view.focus();
    },
    destroy() {
      view.destroy();
      undoManager.destroy();
    },
  };
}
