// Helpers for notebook tests: where the sample notebooks are, a normal form to compare notebooks
// by content (nbformat allows a string or a list of lines for the same text), and Python
// nbformat's own validator.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NBCLIENT_FILES = '/usr/lib/python3/dist-packages/nbclient/tests/files';
export const FIXTURES = fileURLToPath(new URL('../../fixtures/notebooks/', import.meta.url));

export interface NotebookFile {
  name: string;
  json: Record<string, unknown>;
}

function readDir(dir: string): NotebookFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ipynb'))
    .sort()
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown> }));
}

export function nbclientNotebooks(): NotebookFile[] {
  return readDir(NBCLIENT_FILES);
}

export function fixtureNotebooks(): NotebookFile[] {
  return readDir(FIXTURES);
}

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

function joinLines(value: Json | undefined): Json | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : value;
}

function rejoinBundle(bundle: Json | undefined): Json | undefined {
  if (!bundle || typeof bundle !== 'object' || Array.isArray(bundle)) return bundle;
  const out: { [key: string]: Json } = {};
  for (const [mime, value] of Object.entries(bundle)) out[mime] = isJsonMime(mime) ? value : (joinLines(value) ?? null);
  return out;
}

/**
 * A notebook's content in one spelling: multiline strings joined (nbformat's rejoin_lines), keys
 * that nbformat strips on write removed, ids optionally dropped (old notebooks get fresh ones).
 */
export function normalizeNotebook(input: unknown, opts: { ids: boolean }): Json {
  const nb = structuredClone(input) as { [key: string]: Json };
  const metadata = nb['metadata'] as { [key: string]: Json };
  delete metadata['orig_nbformat'];
  delete metadata['orig_nbformat_minor'];
  delete metadata['signature'];
  delete nb['nbformat_minor'];
  for (const cell of nb['cells'] as { [key: string]: Json }[]) {
    if (!opts.ids) delete cell['id'];
    cell['source'] = joinLines(cell['source']) ?? '';
    delete (cell['metadata'] as { [key: string]: Json })['trusted'];
    const attachments = cell['attachments'];
    if (attachments && typeof attachments === 'object' && !Array.isArray(attachments)) {
      for (const [name, bundle] of Object.entries(attachments)) attachments[name] = rejoinBundle(bundle) ?? null;
    }
    for (const output of (cell['outputs'] ?? []) as { [key: string]: Json }[]) {
      delete output['transient'];
      if (output['output_type'] === 'stream') output['text'] = joinLines(output['text']) ?? '';
      if ('data' in output) output['data'] = rejoinBundle(output['data']) ?? null;
    }
  }
  return nb;
}

const VALIDATE_PY = `
import json, sys, nbformat
results = []
for text in json.load(sys.stdin):
    try:
        nbformat.validate(nbformat.reads(text, as_version=4))
        results.append(None)
    except Exception as error:
        results.append(repr(error)[:2000])
print(json.dumps(results))
`;

/** Runs Debian's Python nbformat.validate on each notebook text; null where valid, else the error. */
export function pythonValidate(texts: readonly string[]): Promise<(string | null)[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', VALIDATE_PY], { timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python nbformat.validate failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as (string | null)[]);
    });
    child.stdin?.end(JSON.stringify(texts));
  });
}
