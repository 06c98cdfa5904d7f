// Files over REST, in two scopes (server/files/service.ts): `/api/files/<path>` is the caller's own
// files (their kernels' home), `/api/notebooks/:id/files/<path>` the notebook's files (any member
// reads them; editors and owners upload, rename and delete them).
//   GET     a folder: its listing, usage and quota; a file: its bytes, as a download
//   PUT     the request body is the file (streamed to disk, never held in memory)
//   POST    multipart/form-data into the folder: every file part is stored under its file name
//   PATCH   `{ "path": "new/name" }` renames or moves
//   DELETE  removes a file or a folder with what it holds
import busboy from 'busboy';
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { can } from '../../../shared/roles.ts';
import { checkName, parseFilePath } from '../../files/paths.ts';
import type { FileScope, Files } from '../../files/service.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import { userOf } from '../auth.ts';
import { HttpError } from '../../errors.ts';
import { notebookFor } from './notebooks.ts';

/** File parts one multipart upload may carry. */
const MAX_PARTS = 100;

type ScopeOf = (req: Request, write: boolean) => Promise<FileScope>;

export function fileRoutes(files: Files, notebooks: Notebooks): Router {
  const router = Router();
  const mine: ScopeOf = (req) => Promise.resolve({ kind: 'mine', userId: userOf(req).id });
  const ofNotebook: ScopeOf = async (req, write) => {
    const { notebook } = await notebookFor(notebooks, req, write ? can.editShared : undefined);
    return { kind: 'notebook', notebookId: notebook.id };
  };
  for (const [base, scopeOf] of [
    ['/api/files', mine],
    ['/api/notebooks/:id/files', ofNotebook],
  ] as const) {
    router.get(`${base}{/*path}`, async (req, res) => {
      const scope = await scopeOf(req, false);
      const segments = parseFilePath(pathOf(req), { allowRoot: true });
      const stat = segments.length === 0 ? undefined : await files.tree(scope).stat(segments).catch(() => undefined);
      if (stat?.isFile()) await download(files, scope, segments, res);
      else res.json(await files.list(scope, segments));
    });

    router.put(`${base}/*path`, async (req, res) => {
      const scope = await scopeOf(req, true);
      const segments = parseFilePath(pathOf(req));
      if (req.is('application/json') || req.body !== undefined) {
        throw new HttpError(415, 'unsupported_media_type', 'send the file itself as the body (Content-Type: application/octet-stream), or use a multipart POST');
      }
      const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      try {
        const bytes = await files.upload(scope, segments, req, declared);
        res.status(201).json({ path: segments.join('/'), size: bytes });
      } catch (error) {
        refuseRestOfBody(req, res);
        throw error;
      }
    });

    router.post(`${base}{/*path}`, async (req, res) => {
      const scope = await scopeOf(req, true);
      const folder = parseFilePath(pathOf(req), { allowRoot: true });
      const stored = await multipartUpload(req, (name, stream) => {
        checkName(name);
        return files.upload(scope, [...folder, name], stream).then((size) => ({ path: [...folder, name].join('/'), size }));
      }).catch((error: unknown) => {
        refuseRestOfBody(req, res);
        throw error;
      });
      res.status(201).json({ files: stored });
    });

    router.patch(`${base}/*path`, async (req, res) => {
      const scope = await scopeOf(req, true);
      const from = parseFilePath(pathOf(req));
      const body = req.body as { path?: unknown } | undefined;
      const to = parseFilePath(body?.path);
      await files.rename(scope, from, to);
      res.json({ path: to.join('/') });
    });

    router.delete(`${base}/*path`, async (req, res) => {
      const scope = await scopeOf(req, true);
      await files.remove(scope, parseFilePath(pathOf(req)));
      res.status(204).end();
    });
  }
  return router;
}

/** The path after the scope's prefix, as the client wrote it (express decoded each segment). */
function pathOf(req: Request): string {
  const path = (req.params as { path?: string[] | string }).path;
  return Array.isArray(path) ? path.join('/') : (path ?? '');
}

async function download(files: Files, scope: FileScope, segments: string[], res: Response): Promise<void> {
  const { handle, size } = await files.tree(scope).openFile(segments);
  try {
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(size));
    res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(segments.at(-1)!)}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Never rendered as a page of this origin, whatever it holds.
    res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
    await pipeline(handle.createReadStream({ autoClose: false }), res);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a multipart body part by part (busboy), handing each file part to `store` as a stream,
 * one after the other. Resolves with what `store` answered for each, or rejects with the first
 * refusal (the parts after it are not stored).
 */
function multipartUpload<T>(req: Request, store: (name: string, stream: Readable) => Promise<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: MAX_PARTS, parts: MAX_PARTS * 2, fields: MAX_PARTS, fieldSize: 1024, headerPairs: 100 } });
    } catch (error) {
      reject(new HttpError(400, 'invalid_multipart', `not a multipart upload: ${(error as Error).message}`));
      return;
    }
    const results: T[] = [];
    let failed: unknown;
    let chain: Promise<void> = Promise.resolve();
    parser.on('file', (_field, stream, info) => {
      chain = chain.then(async () => {
        if (failed) {
          stream.resume();
          return;
        }
        try {
          results.push(await store(info.filename ?? '', stream));
        } catch (error) {
          failed = error;
          stream.resume();
        }
      });
    });
    parser.on('filesLimit', () => (failed ??= new HttpError(413, 'too_many_files', `one upload may carry at most ${MAX_PARTS} files`)));
    parser.on('error', (error: Error) => {
      const broken: unknown = (failed ??= new HttpError(400, 'invalid_multipart', `the multipart body is broken: ${error.message}`));
      chain.then(() => reject(broken as Error), reject);
    });
    parser.on('close', () => {
      chain.then(() => (failed ? reject(failed as Error) : resolve(results)), reject);
    });
    req.pipe(parser);
  });
}

/** After a refusal the rest of the body is not wanted: the connection closes once the answer is sent. */
function refuseRestOfBody(req: Request, res: Response): void {
  res.setHeader('Connection', 'close');
  req.unpipe();
  req.resume();
}
