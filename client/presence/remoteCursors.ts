// Other people's cursors and selections in a cell editor, drawn from the awareness states, and this
// editor's own cursor published to them. It takes the place of y-codemirror.next's
// yRemoteSelections (same classes and theme, same awareness fields), which builds a `style`
// attribute from the remote `user.color` unchecked — a viewer's colour could carry any CSS
// (a full-page overlay, a request elsewhere), and the page's CSP refuses style attributes anyway.
// Here the colour must be `#rrggbb`, styles are set through the CSSOM, and the name is text.
import * as Y from 'yjs';
import { Annotation, type Extension, type Range } from '@codemirror/state';
import { Decoration, ViewPlugin, WidgetType, type DecorationSet, type EditorView, type ViewUpdate } from '@codemirror/view';
import { yRemoteSelectionsTheme } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import { presenceColor } from './userColor.ts';

const MAX_NAME_LENGTH = 64;

/** Marks a transaction that only redraws remote cursors (an awareness change). */
const redraw = Annotation.define<null>();

interface RemoteUser {
  name: string;
  color: string;
}

function remoteUser(state: Record<string, unknown>, clientId: number): RemoteUser {
  const user = (typeof state['user'] === 'object' && state['user'] !== null ? state['user'] : {}) as Record<string, unknown>;
  const id = typeof user['id'] === 'string' ? user['id'] : String(clientId);
  const name = typeof user['name'] === 'string' && user['name'].trim() ? user['name'].slice(0, MAX_NAME_LENGTH) : 'Anonymous';
  return { name, color: presenceColor(user['color'], id) };
}

class CaretWidget extends WidgetType {
  constructor(private readonly user: RemoteUser) {
    super();
  }

  toDOM(): HTMLElement {
    const caret = document.createElement('span');
    caret.className = 'cm-ySelectionCaret';
    caret.style.backgroundColor = this.user.color;
    caret.style.borderColor = this.user.color;
    const dot = document.createElement('div');
    dot.className = 'cm-ySelectionCaretDot';
    const info = document.createElement('div');
    info.className = 'cm-ySelectionInfo';
    info.textContent = this.user.name;
    // Word joiners around the parts keep the caret from breaking the line, as in y-codemirror.next.
    caret.append('\u2060', dot, '\u2060', info, '\u2060');
    return caret;
  }

  override eq(other: WidgetType): boolean {
    return other instanceof CaretWidget && other.user.color === this.user.color && other.user.name === this.user.name;
  }

  override get estimatedHeight(): number {
    return -1;
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

function selectionMark(color: string) {
  // CodeMirror applies a decoration's `style` through element.style (the CSSOM), which the CSP allows.
  return Decoration.mark({ attributes: { style: `background-color: ${color}33` }, class: 'cm-ySelection' });
}

function lineSelection(color: string) {
  return Decoration.line({ attributes: { style: `background-color: ${color}33`, class: 'cm-yLineSelection' } });
}

export function remoteCursors(ytext: Y.Text, awareness: Awareness): Extension {
  const plugin = ViewPlugin.fromClass(
    class {
      decorations: DecorationSet = Decoration.none;
      private readonly listener: (change: { added: number[]; updated: number[]; removed: number[] }) => void;

      constructor(view: EditorView) {
        this.listener = ({ added, updated, removed }) => {
          const clients = [...added, ...updated, ...removed];
          if (clients.some((id) => id !== awareness.doc.clientID)) view.dispatch({ annotations: [redraw.of(null)] });
        };
        awareness.on('change', this.listener);
      }

      destroy(): void {
        awareness.off('change', this.listener);
      }

      update(update: ViewUpdate): void {
        this.publishOwnCursor(update);
        this.decorations = this.remoteDecorations(update.view);
      }

      private publishOwnCursor(update: ViewUpdate): void {
        // As y-codemirror.next does: the cursor is published while this editor has the focus, and
        // left as it was when the focus moves on.
        const local = awareness.getLocalState();
        if (local === null || !update.view.hasFocus || !update.view.dom.ownerDocument.hasFocus()) return;
        const cursor = local['cursor'] as { anchor: unknown; head: unknown } | null | undefined;
        const selection = update.state.selection.main;
        const anchor = Y.createRelativePositionFromTypeIndex(ytext, selection.anchor);
        const head = Y.createRelativePositionFromTypeIndex(ytext, selection.head);
        const same =
          cursor != null &&
          Y.compareRelativePositions(Y.createRelativePositionFromJSON(cursor.anchor), anchor) &&
          Y.compareRelativePositions(Y.createRelativePositionFromJSON(cursor.head), head);
        if (!same) awareness.setLocalStateField('cursor', { anchor, head });
      }

      private remoteDecorations(view: EditorView): DecorationSet {
        const doc = ytext.doc;
        if (!doc) return Decoration.none;
        const decorations: Range<Decoration>[] = [];
        awareness.getStates().forEach((state, clientId) => {
          if (clientId === awareness.doc.clientID) return;
          const cursor = state['cursor'] as { anchor?: unknown; head?: unknown } | null | undefined;
          if (cursor?.anchor == null || cursor.head == null) return;
          let anchor: Y.AbsolutePosition | null;
          let head: Y.AbsolutePosition | null;
          try {
            anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc);
            head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc);
          } catch {
            return; // not a relative position: someone else's malformed state draws nothing
          }
          if (!anchor || !head || anchor.type !== ytext || head.type !== ytext) return;
          const length = view.state.doc.length;
          const headIndex = Math.min(head.index, length);
          const start = Math.min(anchor.index, headIndex, length);
          const end = Math.min(Math.max(anchor.index, headIndex), length);
          const user = remoteUser(state, clientId);
          const startLine = view.state.doc.lineAt(start);
          const endLine = view.state.doc.lineAt(end);
          if (start < end) {
            if (startLine.number === endLine.number) {
              decorations.push(selectionMark(user.color).range(start, end));
            } else {
              if (start < startLine.to) decorations.push(selectionMark(user.color).range(start, startLine.to));
              if (endLine.from < end) decorations.push(selectionMark(user.color).range(endLine.from, end));
              for (let line = startLine.number + 1; line < endLine.number; line++) {
                const from = view.state.doc.line(line).from;
                decorations.push(lineSelection(user.color).range(from));
              }
            }
          }
          // The local cursor is drawn outside the remote selection.
          const side = headIndex - anchor.index > 0 ? -1 : 1;
          decorations.push(Decoration.widget({ side, widget: new CaretWidget(user) }).range(headIndex));
        });
        return Decoration.set(decorations, true);
      }
    },
    { decorations: (value) => value.decorations },
  );
  return [yRemoteSelectionsTheme, plugin];
}
