import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportNotebook } from '../../../server/export/index.ts';
import { parseNotebook } from '../../../server/notebooks/nbformat.ts';
import { fixture } from '../notebooks/notebookFiles.ts';

describe('py export (percent format)', () => {
  it('writes a jupytext header with the kernelspec, then one marker per cell', () => {
    const result = exportNotebook(parseNotebook(fixture('unicode-raw-error.ipynb')), 'py', { name: 'u.ipynb' });
    assert.equal(result.contentType, 'text/x-python; charset=utf-8');
    assert.equal(result.filename, 'u.py');
    assert.equal(
      result.body,
      [
        '# ---',
        '# jupyter:',
        '#   kernelspec:',
        '#     display_name: Python 3 (ipykernel)',
        '#     language: python',
        '#     name: python3',
        '# ---',
        '',
        '# %% [markdown] tags=["intro","séance"]',
        '# # Grüße aus Köln 👋',
        '#',
        '# Ελληνικά, עברית, 中文, and a combining é (e\u0301).',
        '',
        '# %% tags=["hide-input"]',
        "for word in ['naïve', 'café', '🐍']:",
        '    print(word)',
        '',
        '# %%',
        '1 / 0',
        '',
        '# %% [raw] tags=["raw"]',
        '# .. note::',
        '#',
        '#    Raw ünïcode stays raw.',
        '',
        '# %% [raw]',
        '# *raw* text with no mimetype',
        '',
      ].join('\n'),
    );
  });

  it('comments out magics and shell escapes so the script is Python, and leaves no stray marker', () => {
    const nb = parseNotebook(fixture('rich-outputs-v4.4.ipynb'));
    nb.cells.push({ cell_type: 'code', id: 'm', metadata: {}, execution_count: null, outputs: [], source: '!ls\n# %% not a marker\nx = 1' });
    const body = exportNotebook(nb, 'py', { name: 'r' }).body;
    assert.match(body, /^# %%\n# %matplotlib inline\nfrom IPython.display import/m);
    assert.match(body, /^# %%\n# !ls\n# # %% not a marker\nx = 1$/m);
    assert.equal(body.match(/^# %%/gm)?.length, 5);
  });

  it('omits the header when there is no kernelspec', () => {
    const body = exportNotebook({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }, 'py', { name: 'e' }).body;
    assert.equal(body, '\n');
  });
});
