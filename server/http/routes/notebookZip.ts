// A notebook with its files as one `.zip` (server/files/zip.ts):
//   POST /api/notebooks/import?name=…   body: the archive (application/zip). Creates a notebook from
//        its .ipynb and lays the other files out as notebook files, relative to the notebook's folder.
//   GET  /api/notebooks/:id/export?format=zip&outputs=…[&myFiles=1]   the notebook (as format=ipynb
//        with those outputs) and its notebook files; with myFiles=1 also the caller's own files
//        (which win over notebook files of the same path, as in their kernel's working directory).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';

import { exportFilename } from '../../export/common.ts';
import { notebookToIpynb } from '../../export/ipynb.ts';
import type { Files } from '../../files/service.ts';
import { byteLimit } from '../../files/tree.ts';
import { readNotebookZip, writeNotebookZip } from '../../files/zip.ts';
import { parseNotebook } from '../../notebooks/nbformat.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { OutputChoice } from '../../notebooks/snapshot.ts';
import { notebookSnapshot } from '../../notebooks/snapshot.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { can } from '../../../shared/roles.ts';
import { userOf } from '../auth.ts';
import { HttpError } from '../../errors.ts';
import { notebookFor } from './notebooks.ts';

const OUTPUTS: readonly OutputChoice[] = ['mine', 'shared', 'none'];

export interface NotebookZipOptions {
  dataDir: string;
  /** Largest notebook (the .ipynb inside), as for a JSON import. */
  maxNotebookBytes: number;
}

export function notebookZipRoutes(files: Files, notebooks: Notebooks, rooms: Rooms, options: NotebookZipOptions): Router {
  const router = Router();

  router.post('/api/notebooks/import', async (req, res) => {
    const user = userOf(req);
    if (!req.is('application/zip') && !req.is('application/octet-stream')) {
      throw new HttpError(415, 'unsupported_media_type', 'send the .zip itself as the body (Content-Type: application/zip)');
    }
    const quota = files.quotaOf({ kind: 'notebook', notebookId: '' });
    const maxArchive = (quota.bytes || 4 * 1024 ** 3) + options.maxNotebookBytes;
    const dir = join(options.dataDir, 'imports');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const archive = join(dir, `${randomBytes(8).toString('hex')}.zip`);
    try {
      try {
        const tooLarge = () => new HttpError(413, 'body_too_large', `the archive is larger than ${maxArchive} bytes`);
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > maxArchive) throw tooLarge();
        await pipeline(req, byteLimit(maxArchive, tooLarge), createWriteStream(archive, { mode: 0o600 }));
      } catch (error) {
        res.setHeader('Connection', 'close');
        req.resume();
        throw error;
      }
      const zip = await readNotebookZip(archive, {
        maxEntries: (quota.files || 10_000) + 1000, // folders and skipped clutter count as entries too
        maxBytes: quota.bytes || Number.MAX_SAFE_INTEGER,
        maxNotebookBytes: options.maxNotebookBytes,
      });
      try {
        const parsed = parseNotebook(zip.notebook);
        const name = typeof req.query.name === 'string' && req.query.name.trim() ? req.query.name : zip.name;
        const created = await notebooks.create(user, name, parsed);
        const scope = { kind: 'notebook' as const, notebookId: created.id };
        try {
          for (const file of zip.files) await files.upload(scope, file.segments, await file.open(), file.bytes);
        } catch (error) {
          // All or nothing: a notebook without the files it reads would only fail later.
          await files.removeAll(scope).catch(() => undefined);
          await notebooks.remove(created.id).catch(() => undefined);
          throw error;
        }
        res.status(201).json({ ...created, files: zip.files.map((f) => f.segments.join('/')) });
      } finally {
        zip.close();
      }
    } finally {
      await rm(archive, { force: true });
    }
  });

  router.get('/api/notebooks/:id/export', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    const outputs = (req.query.outputs ?? 'mine') as OutputChoice;
    if (!OUTPUTS.includes(outputs)) throw new HttpError(400, 'invalid_outputs', `outputs must be one of ${OUTPUTS.join(', ')}`);
    const nb = await notebookSnapshot(rooms, notebook.id, outputs, user.id, can.editShared(notebook.role));
    const ipynbName = exportFilename(notebook.name, 'ipynb');
    const trees = [files.tree({ kind: 'notebook', notebookId: notebook.id })];
    if (req.query.myFiles === '1' || req.query.myFiles === 'true') trees.push(files.tree({ kind: 'mine', userId: user.id }));
    const stream = await writeNotebookZip(ipynbName, notebookToIpynb(nb), trees);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(exportFilename(notebook.name, 'zip'))}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    await pipeline(stream, res);
  });

  return router;
}
