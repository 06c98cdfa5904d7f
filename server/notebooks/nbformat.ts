// Import of nbformat 4 notebooks: upgrade any 4.x to 4.5 in memory, then validate against the
// official v4.5 JSON schema (copied beside this module from Jupyter's nbformat package).
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Notebook } from '../../shared/nbformat.ts';
import { newCellId } from '../../shared/schema.ts';
// Imported, not read from disk at run time, so the bundled server (dist/server) carries it.
import nbformatSchema from './nbformat.v4.5.schema.json' with { type: 'json' };

export class NotebookFormatError extends Error {
  override readonly name = 'NotebookFormatError';
  /** REST answers a bad notebook with 400 and this code. */
  readonly status = 400;
  readonly code = 'invalid_notebook';
  /** JSON pointer of the offending value, e.g. `/cells/3/outputs/0/output_type`; `` for the root. */
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string) {
    super(path ? `invalid notebook at ${path}: ${problem}` : `invalid notebook: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

/** nbformat 4.5 cell ids (https://jupyter.org/enhancement-proposals/62-cell-id/cell-id.html). */
const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

export function isValidCellId(id: unknown): id is string {
  return typeof id === 'string' && CELL_ID.test(id);
}

const CELL_TYPES = ['code', 'markdown', 'raw'];
const OUTPUT_TYPES = ['execute_result', 'display_data', 'stream', 'error'];

function compileValidator(): ValidateFunction<Notebook> {
  // A copy: the schema is adjusted below, and the imported module object is shared.
  const schema = structuredClone(nbformatSchema) as { $schema?: string; definitions: Record<string, Record<string, unknown>> };
  // The file declares draft-04, which Ajv 8 only knows through an extra package. The v4.5 schema
  // uses no keyword whose meaning differs between draft-04 and draft-07 (no boolean
  // exclusiveMinimum/Maximum, no `id`; a unit test checks this), so Ajv's draft-07 core validates
  // it identically.
  schema.$schema = 'http://json-schema.org/draft-07/schema#';
  // Cells and outputs are `oneOf` their kinds. Without a discriminator a single bad output yields
  // one error per kind; with it Ajv checks only the kind the `*_type` names, so the error we report
  // is the one that matters.
  const cell = schema.definitions['cell'];
  const output = schema.definitions['output'];
  if (!cell || !output) throw new Error('nbformat schema lacks definitions/cell or definitions/output');
  cell['discriminator'] = { propertyName: 'cell_type' };
  output['discriminator'] = { propertyName: 'output_type' };
  // strict: false because the official schema has harmless unknown keywords (e.g. `source_hidden`
  // misplaced beside `properties`); Ajv's strict mode would refuse to compile it.
  const ajv = new Ajv({ strict: false, discriminator: true, allErrors: false });
  return ajv.compile<Notebook>(schema);
}

const validateV45 = compileValidator();

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Picks the one Ajv error a person should read and words it. */
export function explainSchemaErrors(errors: readonly ErrorObject[]): NotebookFormatError {
  if (errors.length === 0) return new NotebookFormatError('', 'does not match the nbformat 4.5 schema');
  // Without allErrors Ajv stops at the first failing keyword, so every error here belongs to one
  // failure; when it is a `oneOf` (a multiline string, say) its branches' errors come first. The
  // deepest one points closest to the mistake.
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const maxDepth = Math.max(...errors.map(depth));
  const deepest = errors.filter((e) => depth(e) === maxDepth && e.keyword !== 'oneOf');
  const types = deepest.filter((e) => e.keyword === 'type').flatMap((e) => String(e.params['type']).split(','));
  const first = deepest[0] ?? errors[0];
  if (!first) return new NotebookFormatError('', 'does not match the nbformat 4.5 schema');
  const at = first.instancePath;
  const params = first.params;
  switch (first.keyword) {
    case 'required':
      return new NotebookFormatError(`${at}/${escapePointer(String(params['missingProperty']))}`, 'required property is missing');
    case 'additionalProperties':
      return new NotebookFormatError(
        `${at}/${escapePointer(String(params['additionalProperty']))}`,
        'property is not allowed here by nbformat 4.5',
      );
    case 'discriminator': {
      const tag = String(params['tag']);
      const allowed = tag === 'cell_type' ? CELL_TYPES : OUTPUT_TYPES;
      const problem =
        params['error'] === 'mapping'
          ? `unknown ${tag} ${JSON.stringify(params['tagValue'])} (expected one of ${allowed.join(', ')})`
          : params['tagValue'] === undefined
            ? 'required property is missing'
            : `must be one of ${allowed.join(', ')}, got ${JSON.stringify(params['tagValue'])}`;
      return new NotebookFormatError(`${at}/${tag}`, problem);
    }
    case 'type':
      return new NotebookFormatError(at, `must be ${[...new Set(types)].join(' or ')}`);
    case 'enum':
      return new NotebookFormatError(
        at,
        `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      );
    default:
      return new NotebookFormatError(at, first.message ?? `fails the schema keyword ${first.keyword}`);
  }
}

/**
 * Gives every cell a valid, unique id: keeps the valid ones, replaces missing, invalid (only for
 * notebooks older than 4.5, where ids were not defined) and duplicate ones — as nbformat's upgrade
 * and `repair_duplicate_cell_ids` do. Invalid ids in a 4.5+ notebook are left for the schema to
 * report: they are a mistake, not an old format.
 */
function assignCellIds(cells: unknown[], repairInvalid: boolean, repairs: NotebookRepair[]): void {
  const seen = new Set<string>();
  const taken = new Set(cells.map((c) => (isObject(c) && isValidCellId(c['id']) ? c['id'] : undefined)));
  const fresh = () => {
    let id = newCellId();
    while (taken.has(id)) id = newCellId();
    taken.add(id);
    return id;
  };
  let added = 0;
  cells.forEach((cell, index) => {
    if (!isObject(cell)) return;
    const id = cell['id'];
    if (id === undefined) {
      cell['id'] = fresh();
      added++;
    } else if (repairInvalid && !isValidCellId(id)) {
      cell['id'] = fresh();
      repairs.push({ path: `/cells/${index}/id`, message: `replaced invalid cell id ${JSON.stringify(id)}` });
    } else if (typeof id === 'string' && seen.has(id)) {
      cell['id'] = fresh();
      repairs.push({ path: `/cells/${index}/id`, message: `replaced duplicate cell id ${JSON.stringify(id)}` });
    }
    if (typeof cell['id'] === 'string') seen.add(cell['id']);
  });
  if (added > 0) repairs.push({ path: '/cells', message: `added ids to ${added} cell(s) (nbformat 4.5 requires them)` });
}

/** A change the import made so the notebook is valid nbformat 4.5; worth a log line or a warning. */
export interface NotebookRepair {
  /** JSON pointer of what was changed. */
  path: string;
  message: string;
}

/** `/metadata/<key>/…` or `/cells/<n>/metadata/<key>/…`: the metadata entry an error lies in. */
function metadataEntry(path: string): { owner: string[]; key: string } | undefined {
  const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'metadata' && parts.length >= 2) return { owner: ['metadata'], key: parts[1] ?? '' };
  if (parts[0] === 'cells' && parts[2] === 'metadata' && parts.length >= 4) {
    return { owner: parts.slice(0, 3), key: parts[3] ?? '' };
  }
  return undefined;
}

function lookup(root: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const part of path) node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

/**
 * Like `parseNotebook`, and also says what it changed: ids added or made unique, and metadata
 * entries dropped because they break the schema (a kernelspec without a name, say). Jupyter's
 * nbformat repairs metadata the same way (`validator.normalize(strip_invalid_metadata=True)`);
 * metadata is advisory, so a stale entry should not make a whole notebook unreadable.
 */
export function parseNotebookWithRepairs(input: unknown): { notebook: Notebook; repairs: NotebookRepair[] } {
  if (!isObject(input)) {
    throw new NotebookFormatError('', `a notebook must be a JSON object, got ${describe(input)}`);
  }
  const major = input['nbformat'];
  if (major === undefined) {
    throw new NotebookFormatError('/nbformat', 'required property is missing (is this a Jupyter notebook?)');
  }
  if (typeof major !== 'number' || !Number.isInteger(major)) {
    throw new NotebookFormatError('/nbformat', `must be an integer, got ${describe(major)}`);
  }
  if (major < 4) {
    throw new NotebookFormatError(
      '/nbformat',
      `nbformat ${major} is not supported; only nbformat 4 is (upgrade it with \`jupyter nbconvert --to notebook\`)`,
    );
  }
  if (major > 4) {
    throw new NotebookFormatError('/nbformat', `nbformat ${major} is newer than the supported nbformat 4`);
  }
  const minor = input['nbformat_minor'];
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) {
    throw new NotebookFormatError(
      '/nbformat_minor',
      minor === undefined ? 'required property is missing' : `must be a non-negative integer, got ${JSON.stringify(minor)}`,
    );
  }
  const nb = structuredClone(input);
  const repairs: NotebookRepair[] = [];
  if (Array.isArray(nb['cells'])) assignCellIds(nb['cells'], minor < 5, repairs);
  // Later 4.x minors are validated as 4.5: what 4.5 allows is all this server understands.
  nb['nbformat_minor'] = 5;
  for (;;) {
    if (validateV45(nb)) return { notebook: nb, repairs };
    const error = explainSchemaErrors(validateV45.errors ?? []);
    const entry = metadataEntry(error.path);
    const owner = entry ? lookup(nb, entry.owner) : undefined;
    if (!entry || !isObject(owner) || !(entry.key in owner)) throw error;
    delete owner[entry.key];
    repairs.push({ path: error.path, message: `dropped metadata ${JSON.stringify(entry.key)}: ${error.problem}` });
  }
}

/**
 * Reads an nbformat 4.x notebook (already JSON-parsed) into a valid nbformat 4.5 `Notebook`.
 * Does not modify `input`. Throws `NotebookFormatError` naming the first problem.
 */
export function parseNotebook(input: unknown): Notebook {
  return parseNotebookWithRepairs(input).notebook;
}
