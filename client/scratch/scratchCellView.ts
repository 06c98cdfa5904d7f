// One scratch cell: a cell of my own between the shared cells, in my private document. It looks
// like a cell, says that only I see it, runs in my kernel (code) or renders (markdown), and can
// be handed in, retyped, followed by another one, or deleted.
import type { KeyBinding } from '@codemirror/view';
import type { ScratchCell, ScratchType } from '../../shared/myCells.ts';
import { api } from '../api.ts';
import { attempt, h, notify } from '../dom.ts';
import { renderMarkdown } from '../outputs/markdown.ts';
import { cellOutputsView } from '../cell/cellOutputs.ts';
import { createCellEditor } from '../cell/editor.ts';
import { executionBadge } from '../cell/executionBadge.ts';
import { stdinPrompt } from '../cell/stdinPrompt.ts';
import { canRun, type NotebookSession } from '../notebook/session.ts';
import { publishedMessage } from '../exercises/cellParts.ts';

export interface ScratchActions {
  /** Adds a scratch cell right below this one. */
  addBelow(scratch: ScratchCell): void;
  retype(scratch: ScratchCell, type: ScratchType): void;
  remove(scratch: ScratchCell): void;
}

export interface ScratchView {
  readonly id: string;
  readonly type: ScratchType;
  readonly element: HTMLElement;
  edit(): void;
  setReadOnly(readOnly: boolean): void;
  dispose(): void;
}

export function createScratchView(scratch: ScratchCell, session: NotebookSession, actions: ScratchActions): ScratchView {
  const { id, type, cell } = scratch;
  const disposers: (() => void)[] = [];
  const editorHost = h('div', { class: 'editor' });
  const rendered = h('div', { class: 'rendered-markdown', hidden: true, title: 'Double-click to edit' });
  const toolbar = h('div', { class: 'cell-toolbar' });
  const gutter = h('div', { class: 'gutter' });
  const body = h('div', { class: 'cell-body' }, toolbar, editorHost, rendered);
  const element = h('div', { class: `scratch-cell scratch-${type}`, 'data-cell-id': id, 'data-cell-type': type, tabindex: '-1' }, gutter, body);
  let editing = false;

  const run = () => {
    if (type === 'code') session.run([id]);
    else {
      editing = false;
      showMarkdown();
    }
  };
  const keys: KeyBinding[] = [
    { key: 'Shift-Enter', run: () => (run(), true) },
    { key: 'Mod-Enter', run: () => (run(), true) },
    { key: 'Escape', run: () => ((editing = false), showMarkdown(), element.focus({ preventScroll: true }), true) },
  ];
  const editor = createCellEditor(editorHost, {
    source: scratch.source,
    // My cursor here is nobody else's business: presence of my private room, which only my tabs join.
    awareness: session.private.provider.awareness,
    cellType: type,
    readOnly: false,
    keys,
    onFocus: () => {
      editing = true;
      element.classList.add('editing');
    },
  });
  element.addEventListener('focusout', (event) => {
    if (!element.contains(event.relatedTarget as Node | null)) {
      element.classList.remove('editing');
      if (type === 'markdown' && editing) {
        editing = false;
        showMarkdown();
      }
    }
  });

  function showMarkdown(): void {
    if (type !== 'markdown') return;
    const source = scratch.source.toString();
    const showRendered = !editing && source.trim() !== '';
    rendered.hidden = !showRendered;
    editorHost.hidden = showRendered;
    if (showRendered) rendered.replaceChildren(renderMarkdown(source));
  }
  if (type === 'markdown') {
    rendered.addEventListener('dblclick', () => view.edit());
    const onSource = () => {
      if (!editing) showMarkdown();
    };
    scratch.source.observe(onSource);
    disposers.push(() => scratch.source.unobserve(onSource));
    showMarkdown();
  }

  const typeSelect = h('select', { class: 'cell-type', 'aria-label': 'Cell type' }, h('option', { value: 'code' }, 'Code'), h('option', { value: 'markdown' }, 'Markdown'));
  typeSelect.value = type;
  typeSelect.addEventListener('change', () => actions.retype(scratch, typeSelect.value as ScratchType));
  toolbar.append(h('span', { class: 'scratch-label', title: 'A cell of your own: nobody else sees it, and it is not part of the shared notebook' }, 'Only you see this cell'));
  if (type === 'code') {
    const badge = executionBadge(cell, session.private.doc);
    gutter.append(badge.element);
    disposers.push(badge.dispose);
    const runButton = h('button', { class: 'run', title: 'Run (Shift-Enter)', 'aria-label': 'Run cell', disabled: !canRun(session, 'user') }, '▶');
    runButton.addEventListener('click', run);
    toolbar.prepend(runButton);
  }
  const handIn = h('button', { class: 'publish', title: 'Hand in this cell’s source and output' }, 'Hand in');
  handIn.addEventListener('click', () =>
    attempt(async () => {
      const result = await api.publish(session.notebookId, id);
      notify(publishedMessage(result), 'info');
    }, 'Could not hand in'),
  );
  toolbar.append(
    handIn,
    h('span', { class: 'spacer' }),
    typeSelect,
    h('button', { class: 'add-scratch', title: 'Add a cell of your own below this one', onclick: () => actions.addBelow(scratch) }, '+ My cell'),
    h('button', { class: 'delete', title: 'Delete this cell of yours', 'aria-label': 'Delete my cell', onclick: () => actions.remove(scratch) }, '✕'),
  );
  if (type === 'code') {
    const outputs = cellOutputsView(cell, session);
    const stdin = stdinPrompt(session.notebookId, id, session.private.doc);
    body.append(outputs.element, stdin.element);
    disposers.push(outputs.dispose, stdin.dispose);
  }

  const view: ScratchView = {
    id,
    type,
    element,
    edit() {
      editing = true;
      showMarkdown();
      element.classList.add('editing');
      editor.focus();
    },
    setReadOnly(readOnly) {
      editor.setReadOnly(readOnly);
    },
    dispose() {
      for (const dispose of disposers.splice(0)) dispose();
      editor.destroy();
      element.remove();
    },
  };
  return view;
}
