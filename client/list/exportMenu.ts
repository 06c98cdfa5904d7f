// The export drop-down: a format and which outputs to include, then a download. Its panel opens
// inside the viewport wherever the button sits (ui/menu.ts).
import { api, type ExportFormat, type ExportOutputs } from '../api.ts';
import { download, h } from '../dom.ts';
import { dropdown } from '../ui/menu.ts';

const FORMATS: { format: ExportFormat; label: string }[] = [
  { format: 'ipynb', label: 'Notebook (.ipynb)' },
  { format: 'py', label: 'Python (.py)' },
  { format: 'md', label: 'Markdown (.md)' },
  { format: 'html', label: 'HTML (.html)' },
  { format: 'zip', label: 'Notebook + its files (.zip)' },
];

/** The choices themselves, for this menu and for the notebook's overflow menu. */
export function exportItems(notebookId: string, close: () => void): HTMLElement[] {
  const outputs = h(
    'select',
    { 'aria-label': 'Outputs to include' },
    h('option', { value: 'mine' }, 'with my outputs'),
    h('option', { value: 'shared' }, 'with shared outputs'),
    h('option', { value: 'none' }, 'without outputs'),
  );
  return [
    outputs,
    ...FORMATS.map(({ format, label }) =>
      h(
        'button',
        {
          type: 'button',
          class: 'menu-item',
          'data-format': format,
          onclick: () => {
            download(api.exportUrl(notebookId, format, outputs.value as ExportOutputs));
            close();
          },
        },
        label,
      ),
    ),
  ];
}

export function exportMenu(notebookId: string, label: string | Node = 'Export'): HTMLElement {
  return dropdown({ label, title: 'Export (download)', className: 'export-menu', build: (close) => exportItems(notebookId, close) });
}
