// The export drop-down: a format and which outputs to include, then a download.
import { api, type ExportFormat, type ExportOutputs } from '../api.ts';
import { download, h } from '../dom.ts';

const FORMATS: { format: ExportFormat; label: string }[] = [
  { format: 'ipynb', label: 'Notebook (.ipynb)' },
  { format: 'py', label: 'Python (.py)' },
  { format: 'md', label: 'Markdown (.md)' },
  { format: 'html', label: 'HTML (.html)' },
];

export function exportMenu(notebookId: string): HTMLElement {
  const outputs = h(
    'select',
    { 'aria-label': 'Outputs to include' },
    h('option', { value: 'mine' }, 'with my outputs'),
    h('option', { value: 'shared' }, 'with shared outputs'),
    h('option', { value: 'none' }, 'without outputs'),
  );
  const menu = h('details', { class: 'menu export-menu' }, h('summary', { class: 'button' }, 'Export'));
  const panel = h(
    'div',
    { class: 'menu-panel' },
    outputs,
    ...FORMATS.map(({ format, label }) =>
      h(
        'button',
        {
          'data-format': format,
          onclick: () => {
            download(api.exportUrl(notebookId, format, outputs.value as ExportOutputs));
            menu.open = false;
          },
        },
        label,
      ),
    ),
  );
  menu.append(panel);
  return menu;
}
