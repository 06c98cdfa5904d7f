// Output widgets capture what a `with out:` block displays, as a stack per message: nested blocks
// at any depth, clear_output inside, in both scopes. Checked through the REST API only (execute,
// then the ipynb export, whose `metadata.widgets` carries each model's state as Jupyter saves it),
// against nbclient's own Output.ipynb (Debian's python3-nbclient test files, installed by
// `npm run setup`) and its stored outputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Cell, Notebook, Output } from '../../shared/nbformat.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { NBCLIENT_FILES } from '../unit/notebooks/notebookFiles.ts';
import { codeCell as code } from '../helpers/cells.ts';

const VIEW_MIME = 'application/vnd.jupyter.widget-view+json';
const STATE_MIME = 'application/vnd.jupyter.widget-state+json';

type SavedState = Record<string, { model_name: string; state: { outputs?: Output[] } }>;

const join_ = (text: unknown) => (Array.isArray(text) ? text.join('') : String(text ?? ''));
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * An output in a form two runs of the same cell share (nbclient's normalize_output, in spirit):
 * texts joined, metadata and model ids dropped, a traceback reduced to its last line — the
 * lines before it name the IPython version's own input cells and frames. A widget shown as a
 * cell's last expression is `display_data` under ipywidgets 7 (which made the stored outputs)
 * and `execute_result` under 8 (`_repr_mimebundle_`): both are a widget view here.
 */
function normal(output: Output): unknown {
  switch (output.output_type) {
    case 'stream':
      return { stream: output.name, text: join_(output.text) };
    case 'error':
      return { error: output.ename, evalue: output.evalue, last: join_(output.traceback.at(-1)).replace(ANSI, '') };
    default: {
      const data: Record<string, unknown> = {};
      for (const [mime, value] of Object.entries(output.data)) data[mime] = mime === VIEW_MIME ? '<MODEL_ID>' : join_(value);
      return { [VIEW_MIME in output.data ? 'widget view' : output.output_type]: data };
    }
  }
}

function widgetStateOf(nb: Notebook): SavedState {
  const widgets = nb.metadata['widgets'] as Record<string, { state?: SavedState }> | undefined;
  return widgets?.[STATE_MIME]?.state ?? {};
}

/** The outputs each Output widget shown by a cell captured, in the cell's display order. */
function capturedBy(cell: Cell, state: SavedState): unknown[][] {
  if (cell.cell_type !== 'code') return [];
  return cell.outputs.flatMap((output) => {
    if (output.output_type !== 'display_data' && output.output_type !== 'execute_result') return [];
    const view = output.data[VIEW_MIME] as { model_id?: string } | undefined;
    const model = view?.model_id ? state[view.model_id] : undefined;
    if (!model || model.model_name !== 'OutputModel') return [];
    return [(model.state.outputs ?? []).map(normal)];
  });
}


describe('Output widget capture', { timeout: 240_000 }, () => {
  let t: TestServer;
  let admin: Api;

  before(async () => {
    t = await startTestServer();
    admin = t.api(t.adminToken);
  });
  after(async () => {
    await t.close();
  });

  async function runAll(notebookId: string, cellIds: string[]) {
    const res = await admin<{ runs: Array<{ cellId: string; status: string }> }>('POST', `/api/notebooks/${notebookId}/execute?wait=true`, { cellIds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const run of res.body.runs) assert.equal(run.status, 'ok', JSON.stringify(run));
  }

  async function exported(notebookId: string): Promise<Notebook> {
    const res = await admin<Notebook>('GET', `/api/notebooks/${notebookId}/export?format=ipynb&outputs=mine`);
    assert.equal(res.status, 200);
    return res.body;
  }

  it("nbclient's Output.ipynb reproduces its stored outputs, the nested case cell by cell", async () => {
    const file = JSON.parse(readFileSync(join(NBCLIENT_FILES, 'Output.ipynb'), 'utf8')) as Notebook;
    const created = await admin<{ id: string }>('POST', '/api/notebooks', { name: 'Output.ipynb', notebook: file });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const nb = created.body.id;
    const before = await exported(nb);
    await runAll(nb, before.cells.map((c) => c.id!));
    const after = await exported(nb);

    const expectedState = widgetStateOf(file);
    const actualState = widgetStateOf(after);
    assert.equal(after.cells.length, file.cells.length);
    file.cells.forEach((expected, index) => {
      const actual = after.cells[index]!;
      const where = `cell ${index}: ${join_(expected.source).split('\n')[0]}`;
      if (expected.cell_type !== 'code' || actual.cell_type !== 'code') return;
      assert.deepEqual(actual.outputs.map(normal), expected.outputs.map(normal), `${where} — the cell's own outputs`);
      assert.equal(actual.execution_count, expected.execution_count, `${where} — execution count`);
      assert.deepEqual(capturedBy(actual, actualState), capturedBy(expected, expectedState), `${where} — what its Output widgets captured`);
    });

    // The case, spelled out: leaving the inner `with` gives the capture back to the outer one.
    const inner = capturedBy(after.cells[11]!, actualState);
    const outer = capturedBy(after.cells[12]!, actualState);
    assert.deepEqual(inner, [[{ stream: 'stdout', text: 'in inner\nalso in inner\n' }]]);
    assert.deepEqual(outer, [[{ stream: 'stdout', text: 'in outer\n' }]]);
    const nested = after.cells[13]!;
    assert.ok(nested.cell_type === 'code' && nested.outputs.length === 0, 'nothing of the nested block lands in the cell itself');
  });

  for (const scope of ['user', 'shared'] as const) {
    it(`nests three deep with clear_output inside (${scope} scope)`, async () => {
      const created = await admin<{ id: string }>('POST', '/api/notebooks', {
        name: `nesting-${scope}`,
        notebook: {
          nbformat: 4,
          nbformat_minor: 5,
          metadata: {},
          cells: [
            code('make', 'import ipywidgets as w\nfrom IPython.display import clear_output\na, b, c = w.Output(), w.Output(), w.Output()\ndisplay(a)\ndisplay(b)\ndisplay(c)', scope),
            code(
              'nest',
              [
                'with a:',
                "    print('a1')",
                '    with b:',
                "        print('b-gone')",
                '        clear_output(wait=True)',
                '        with c:',
                "            print('c-gone')",
                '            clear_output()',
                "            print('c1')",
                "        print('b1')",
                '        with c:',
                "            display('c2')",
                "        print('b2')",
                "    print('a2')",
                "print('cell')",
              ].join('\n'),
              scope,
            ),
          ],
        },
      });
      const nb = created.body.id;
      await runAll(nb, ['make', 'nest']);
      const result = await exported(nb);
      const state = widgetStateOf(result);
      const [a, b, c] = capturedBy(result.cells[0]!, state);
      assert.deepEqual(a, [{ stream: 'stdout', text: 'a1\na2\n' }], 'a: before and after the inner blocks');
      assert.deepEqual(b, [{ stream: 'stdout', text: 'b1\nb2\n' }], 'b: cleared (wait) by its next output, then both lines');
      assert.deepEqual(c, [{ stream: 'stdout', text: 'c1\n' }, { display_data: { 'text/plain': "'c2'" } }], 'c: cleared, then c1, and c2 from its second block');
      const cell = result.cells[1]!;
      assert.ok(cell.cell_type === 'code');
      assert.deepEqual(cell.outputs.map(normal), [{ stream: 'stdout', text: 'cell\n' }]);
    });
  }

  it('the export without outputs carries no widget state', async () => {
    const list = await admin<{ notebooks: Array<{ id: string; name: string }> }>('GET', '/api/notebooks');
    const nb = list.body.notebooks.find((n) => n.name === 'Output.ipynb')!.id;
    const res = await admin<Notebook>('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=none`);
    assert.equal(res.body.metadata['widgets'], undefined);
  });
});
