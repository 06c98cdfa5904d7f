// The Files panel of a notebook: the notebook's files and my files side by side, each with its
// usage against its quota, a drop zone (drag files in, or choose them) with a progress bar per
// upload, and per file Download, "Copy path" (the path Python opens it by in a kernel) and Delete.
// Notebook files take uploads from editors and owners; everyone else reads them.
import { can } from '../../shared/roles.ts';
import type { Role } from '../../shared/roles.ts';
import { attempt, h, notify } from '../dom.ts';
import { formatBytes } from '../format.ts';
import { openModal } from '../ui/dialog.ts';
import { onDroppedFiles } from '../ui/dropFiles.ts';
import { deleteFile, filePath, listFiles, uploadFile } from './fileApi.ts';
import type { FileListing } from '../../shared/files.ts';
import type { FileScopeName } from './fileApi.ts';

const SCOPES: Array<{ scope: FileScopeName; title: string; hint: string }> = [
  { scope: 'notebook', title: 'Notebook files', hint: 'For everyone in this notebook: read-only in every kernel, by name from the working directory.' },
  { scope: 'mine', title: 'My files', hint: 'Yours alone: your kernels’ home, where what your code writes lands.' },
];

export function openFilePanel(notebookId: string, role: Role): void {
  const sections = SCOPES.map(({ scope, title, hint }) => scopeSection(notebookId, scope, title, hint, scope === 'mine' || can.editShared(role)));
  openModal({ title: 'Files', className: 'files-dialog', content: [h('div', { class: 'file-scopes' }, ...sections)] });
}

function scopeSection(notebookId: string, scope: FileScopeName, title: string, hint: string, writable: boolean): HTMLElement {
  const usage = h('p', { class: 'file-usage' }, 'Loading…');
  const rows = h('tbody');
  const uploads = h('div', { class: 'file-uploads' });
  const section = h(
    'section',
    { class: `file-scope file-scope-${scope}`, 'data-scope': scope },
    h('h3', {}, title),
    h('p', { class: 'hint' }, hint),
    usage,
    h('table', { class: 'file-list' }, rows),
  );

  const refresh = async () => {
    let listing: FileListing;
    try {
      listing = await listFiles(scope, notebookId);
    } catch (error) {
      usage.textContent = `Cannot list the files: ${(error as Error).message}`;
      return;
    }
    const { bytes, files } = listing.usage;
    const quota = listing.quota;
    usage.textContent = `${files} file${files === 1 ? '' : 's'}, ${formatBytes(bytes)}${quota.bytes ? ` of ${formatBytes(quota.bytes)}` : ''}${quota.files ? ` · at most ${quota.files} files` : ''}`;
    rows.replaceChildren(
      ...listing.entries.map((entry) => {
        const kernelPath = `${listing.kernelPath}/${entry.path}`;
        return h(
          'tr',
          { class: `file-row file-${entry.type}`, 'data-path': entry.path },
          h('td', { class: 'file-name' }, entry.type === 'directory' ? `${entry.name}/` : entry.name),
          h('td', { class: 'file-size' }, entry.type === 'file' ? formatBytes(entry.size) : ''),
          h(
            'td',
            { class: 'file-actions' },
            entry.type === 'file' && h('a', { class: 'download-file', href: filePath(scope, notebookId, entry.path), download: entry.name }, 'Download'),
            h('button', { type: 'button', class: 'link copy-path', title: `Copy ${kernelPath}: the path your code opens it by`, onclick: () => copyPath(kernelPath) }, 'Copy path'),
            writable &&
              h('button', {
                type: 'button',
                class: 'link delete-file',
                onclick: () => {
                  if (!confirm(`Delete ${entry.path}?`)) return;
                  deleteFile(scope, notebookId, entry.path).then(refresh, (error: unknown) => notify(`Delete failed: ${(error as Error).message}`));
                },
              }, 'Delete'),
          ),
        );
      }),
    );
  };

  if (writable) {
    const input = h('input', { type: 'file', multiple: true, class: 'file-input', 'aria-label': `Upload to ${title}` });
    input.addEventListener('change', () => {
      const chosen = [...(input.files ?? [])];
      attempt(() => uploadAll(chosen), 'Upload failed');
      input.value = '';
    });
    const drop = h('div', { class: 'file-drop' }, 'Drop files here, or ', h('button', { type: 'button', class: 'link choose-files', onclick: () => input.click() }, 'choose them'), input);
    onDroppedFiles(drop, (files) => attempt(() => uploadAll(files), 'Upload failed'));
    section.insertBefore(drop, section.querySelector('table'));
    section.insertBefore(uploads, section.querySelector('table'));
  }

  /** One after the other: the server would take them one at a time anyway (quotas). */
  async function uploadAll(files: File[]): Promise<void> {
    for (const file of files) {
      const bar = h('progress', { max: 1, value: 0 });
      const row = h('div', { class: 'file-upload', 'data-name': file.name }, h('span', {}, file.name), bar);
      uploads.append(row);
      try {
        await uploadFile(scope, notebookId, file, (fraction) => (bar.value = fraction));
        row.dataset['state'] = 'done';
      } catch (error) {
        row.dataset['state'] = 'failed';
        row.append(h('span', { class: 'file-upload-error' }, (error as Error).message));
        notify(`Upload of ${file.name} failed: ${(error as Error).message}`);
      }
      await refresh();
    }
  }

  attempt(refresh, 'Could not list the files');
  return section;
}

function copyPath(path: string): void {
  const copied = () => notify(`Copied ${path}`, 'info');
  // The clipboard needs a secure context (https or localhost); elsewhere the path is shown to copy by hand.
  if (navigator.clipboard) navigator.clipboard.writeText(path).then(copied, () => notify(`Path: ${path}`, 'info'));
  else notify(`Path: ${path}`, 'info');
}
