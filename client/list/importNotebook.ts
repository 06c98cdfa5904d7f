// Reads a dropped or picked .ipynb file; the server validates it fully, this only catches files
// that are plainly not notebooks so the message can name the file.
import type { Notebook } from '../../shared/nbformat.ts';

export async function parseNotebookFile(file: File): Promise<{ name: string; notebook: Notebook }> {
  const text = await file.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { cells?: unknown }).cells)) {
    throw new Error('not a Jupyter notebook (no "cells" list)');
  }
  if ((parsed as { nbformat?: unknown }).nbformat !== 4) {
    throw new Error('only nbformat 4 notebooks can be imported');
  }
  return { name: file.name.replace(/\.ipynb$/i, ''), notebook: parsed as Notebook };
}
