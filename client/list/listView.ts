// The notebook list: create, import (file picker or drop), open, rename, delete, export, share.
import { api, errorMessage, type Me, type NotebookSummary } from '../api.ts';
import { can } from '../../shared/roles.ts';
import { attempt, h, notify } from '../dom.ts';
import { exportMenu } from './exportMenu.ts';
import { openShareDialog } from '../notebook/shareDialog.ts';
import { importNotebookZip } from '../files/fileApi.ts';
import { onDroppedFiles } from '../ui/dropFiles.ts';
import { parseNotebookFile } from './importNotebook.ts';
import { joinEntry } from '../classroom/joinPage.ts';

export interface ListContext {
  me: Me;
}

function formatTime(value: string | number): string {
  const date = new Date(typeof value === 'number' && value < 1e12 ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function renderNotebookList(app: HTMLElement, context: ListContext): { dispose(): void } {
  let disposed = false;
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'notebooks' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Your role'), h('th', {}, 'Owner'), h('th', {}, 'Updated'), h('th', {}, ''))),
    body,
  );
  const empty = h('p', { class: 'empty', hidden: true }, 'No notebooks yet — create one or drop an .ipynb file here.');

  const nameInput = h('input', { name: 'name', placeholder: 'New notebook name', required: true });
  const createForm = h('form', { class: 'create' }, nameInput, h('button', { type: 'submit', class: 'primary' }, 'New notebook'));
  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    attempt(async () => {
      const created = await api.createNotebook(name);
      location.hash = `#/nb/${created.id}`;
    }, 'Could not create the notebook');
  });

  const fileInput = h('input', { type: 'file', accept: '.ipynb,.zip,application/x-ipynb+json,application/json,application/zip', hidden: true });
  fileInput.addEventListener('change', () => {
    const files = [...(fileInput.files ?? [])];
    fileInput.value = '';
    importFiles(files);
  });
  const importButton = h('button', { type: 'button', onclick: () => fileInput.click() }, 'Import .ipynb or .zip');

  const dropZone = h(
    'section',
    { class: 'list-page' },
    h('div', { class: 'list-actions' }, createForm, importButton, fileInput, h('span', { class: 'spacer' }), joinEntry()),
    table,
    empty,
    h('p', { class: 'hint' }, 'Tip: drop .ipynb files (or a .zip of a notebook with its data files) anywhere on this page to import them.'),
  );
  onDroppedFiles(dropZone, importFiles);
  app.replaceChildren(dropZone);

  function importFiles(files: File[]): void {
    for (const file of files) {
      attempt(async () => {
        if (/\.zip$/i.test(file.name)) {
          await importNotebookZip(file);
        } else {
          const { name, notebook } = await parseNotebookFile(file);
          await api.createNotebook(name, notebook);
        }
        notify(`Imported ${file.name}`, 'info');
        await refresh();
      }, `Could not import ${file.name}`);
    }
  }

  function row(summary: NotebookSummary): HTMLTableRowElement {
    const link = h('a', { href: `#/nb/${summary.id}`, class: 'nb-link' }, summary.name);
    const nameCell = h('td', {}, link);
    const startRename = () => {
      const input = h('input', { value: summary.name, 'aria-label': 'New name' });
      // Once: Enter, Escape and blur all finish, and the refresh that follows a save removes the
      // focused input, which fires blur again — a second save would rename twice and refresh the
      // list once more, closing whatever menu the user had opened on the new row meanwhile.
      let finished = false;
      const finish = (save: boolean) => {
        if (finished) return;
        finished = true;
        const name = input.value.trim();
        if (!save || !name || name === summary.name) {
          nameCell.replaceChildren(link);
          return;
        }
        api.renameNotebook(summary.id, name).then(
          () => refresh(),
          (error: unknown) => {
            notify(`Could not rename: ${errorMessage(error)}`);
            nameCell.replaceChildren(link);
          },
        );
      };
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') finish(true);
        if (event.key === 'Escape') finish(false);
      });
      input.addEventListener('blur', () => finish(true), { once: true });
      nameCell.replaceChildren(input);
      input.select();
    };
    const actions = h(
      'td',
      { class: 'row-actions' },
      h('a', { href: `#/nb/${summary.id}`, class: 'button' }, 'Open'),
      can.editShared(summary.role) && h('button', { onclick: startRename }, 'Rename'),
      exportMenu(summary.id),
      can.manage(summary.role) &&
        h('button', { class: 'share', onclick: () => openShareDialog(summary, context.me, () => attempt(refresh, 'Could not load your notebooks')) }, 'Share'),
      can.manage(summary.role) &&
        h(
          'button',
          {
            class: 'danger',
            onclick: () => {
              if (!confirm(`Delete “${summary.name}” for everyone? This cannot be undone.`)) return;
              attempt(async () => {
                await api.deleteNotebook(summary.id);
                await refresh();
              }, 'Could not delete the notebook');
            },
          },
          'Delete',
        ),
    );
    return h(
      'tr',
      { 'data-id': summary.id },
      nameCell,
      h('td', {}, h('span', { class: `role role-${summary.role}` }, summary.role)),
      h('td', { class: 'owner' }, summary.owner === context.me.id ? 'you' : (summary.owner_name ?? summary.owner)),
      h('td', {}, formatTime(summary.updated_at)),
      actions,
    );
  }

  async function refresh(): Promise<void> {
    const notebooks = await api.listNotebooks();
    if (disposed) return;
    notebooks.sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
    body.replaceChildren(...notebooks.map(row));
    empty.hidden = notebooks.length > 0;
    table.hidden = notebooks.length === 0;
  }

  attempt(refresh, 'Could not load your notebooks');
  nameInput.focus();
  return {
    dispose() {
      disposed = true;
    },
  };
}
