import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportNotebook } from '../../../server/export/index.ts';
import { parseNotebook } from '../../../server/notebooks/nbformat.ts';
import { fixture } from '../notebooks/notebookFiles.ts';

function md(name: string): string {
  const result = exportNotebook(parseNotebook(fixture(name)), 'md', { name });
  assert.equal(result.contentType, 'text/markdown; charset=utf-8');
  return result.body;
}

describe('md export', () => {
  it('keeps markdown as written, with its links, and inlines attachment images as data: URIs', () => {
    const body = md('markdown-attachments.ipynb');
    const attachments = fixture('markdown-attachments.ipynb')['cells'] as { attachments?: Record<string, Record<string, string>> }[];
    const red = attachments[0]?.attachments?.['red dot.png']?.['image/png'];
    assert.ok(red);
    assert.ok(body.startsWith('## Attachments\n\n'));
    assert.ok(body.includes(`![red dot](data:image/png;base64,${red})`));
    assert.match(body, /!\[blue\]\(data:image\/png;base64,[A-Za-z0-9+/=]+\)/);
    assert.ok(body.includes('See [the docs](https://example.org/nbformat/format_description.html) and <b>inline html</b>.'));
    assert.doesNotMatch(body, /attachment:/);
  });

  it('fences code in the kernel language and text outputs in plain fences, ANSI removed', () => {
    const body = md('unicode-raw-error.ipynb');
    assert.ok(body.includes("```python\nfor word in ['naïve', 'café', '🐍']:\n    print(word)\n```\n\n```\nnaïve\ncafé\n🐍\n```"));
    assert.ok(body.includes('```\nwarning: red\n```'));
    assert.ok(body.includes('----> 1 1 / 0'));
    assert.doesNotMatch(body, /\u001b/);
    // A raw cell for reStructuredText is not markdown; one with no mimetype is kept as is.
    assert.doesNotMatch(body, /Raw ünïcode/);
    assert.ok(body.includes('\n\n*raw* text with no mimetype\n'));
  });

  it('puts image outputs inline as data: URIs and prefers them to their text/plain', () => {
    const body = md('rich-outputs-v4.4.ipynb');
    assert.match(body, /```\n\n!\[output\]\(data:image\/png;base64,[A-Za-z0-9+/=]+\)\n/);
    assert.doesNotMatch(body, /IPython\.core\.display\.Image object/);
    const svg = /!\[output\]\(data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)\)/.exec(body)?.[1];
    assert.ok(svg);
    assert.match(Buffer.from(svg, 'base64').toString('utf8'), /^<svg xmlns/);
    assert.ok(body.includes('\n\n**md** output\n\n'));
  });

  it('makes a fence longer than any backtick run in the code', () => {
    const body = exportNotebook(
      {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ id: 'a', cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: 's = """\n```\n"""' }],
      },
      'md',
      { name: 'f' },
    ).body;
    assert.equal(body, '````python\ns = """\n```\n"""\n````\n');
  });
});
