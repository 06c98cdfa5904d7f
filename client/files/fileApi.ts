// The files REST API for the panel (server/http/routes/files.ts): listings, uploads with progress
// (XMLHttpRequest: fetch reports no upload progress), deletions, and the URLs of downloads.
import type { FileListing } from '../../shared/files.ts';
import { serverPath } from '../baseUrl.ts';

export type FileScopeName = 'notebook' | 'mine';

/** The REST path of a file or folder in a scope, each name encoded. */
export function filePath(scope: FileScopeName, notebookId: string, path = ''): string {
  const base = scope === 'notebook' ? `/api/notebooks/${encodeURIComponent(notebookId)}/files` : '/api/files';
  const encoded = path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
  return serverPath(encoded ? `${base}/${encoded}` : base);
}

async function failure(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return new Error(body?.error?.message ?? `the server answered ${response.status}`);
}

export async function listFiles(scope: FileScopeName, notebookId: string): Promise<FileListing> {
  const response = await fetch(filePath(scope, notebookId), { credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as FileListing;
}

export async function deleteFile(scope: FileScopeName, notebookId: string, path: string): Promise<void> {
  const response = await fetch(filePath(scope, notebookId, path), { method: 'DELETE', credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
}

/** Imports a .zip of a notebook with its data files: the files become the new notebook's files. */
export async function importNotebookZip(file: File): Promise<void> {
  const response = await fetch(serverPath('/api/notebooks/import'), { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/zip' }, body: file });
  if (!response.ok) throw await failure(response);
}

/** PUTs one file as the request body; `progress` gets the fraction sent. */
export function uploadFile(scope: FileScopeName, notebookId: string, file: File, progress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', filePath(scope, notebookId, file.name));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) progress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        progress(1);
        resolve();
        return;
      }
      let message = `the server answered ${xhr.status}`;
      try {
        message = (JSON.parse(xhr.responseText) as { error: { message: string } }).error.message;
      } catch {
        // not the server's JSON error: keep the status
      }
      reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error('the upload was interrupted'));
    xhr.send(file);
  });
}
