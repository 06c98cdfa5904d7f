// Notebook export in the formats of `GET /api/notebooks/:id/export`. Pure functions on nbformat
// JSON: the caller builds the notebook (sharedDocToNotebook, choosing whose outputs).
import type { Notebook } from '../../shared/nbformat.ts';
import { exportFilename } from './common.ts';
import { notebookToHtml } from './html.ts';
import { notebookToIpynb } from './ipynb.ts';
import { notebookToMarkdown } from './md.ts';
import { notebookToPy } from './py.ts';

export { EXPORT_CSP, EXPORT_META_CSP } from './html.ts';

export type ExportFormat = 'ipynb' | 'py' | 'md' | 'html';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['ipynb', 'py', 'md', 'html'];

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

export interface ExportOptions {
  /** The notebook's name; becomes the file name (extension replaced) and the html title. */
  name: string;
}

export interface ExportResult {
  body: string;
  contentType: string;
  filename: string;
}

export function exportNotebook(nb: Notebook, format: ExportFormat, opts: ExportOptions): ExportResult {
  switch (format) {
    case 'ipynb':
      // The media type Jupyter Server sends for notebooks.
      return { body: notebookToIpynb(nb), contentType: 'application/x-ipynb+json', filename: exportFilename(opts.name, 'ipynb') };
    case 'py':
      return { body: notebookToPy(nb), contentType: 'text/x-python; charset=utf-8', filename: exportFilename(opts.name, 'py') };
    case 'md':
      return { body: notebookToMarkdown(nb), contentType: 'text/markdown; charset=utf-8', filename: exportFilename(opts.name, 'md') };
    case 'html': {
      const filename = exportFilename(opts.name, 'html');
      return { body: notebookToHtml(nb, filename.replace(/\.html$/, '')), contentType: 'text/html; charset=utf-8', filename };
    }
  }
}
