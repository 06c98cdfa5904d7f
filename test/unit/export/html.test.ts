import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPORT_CSP, EXPORT_META_CSP, exportNotebook } from '../../../server/export/index.ts';
import { parseNotebook } from '../../../server/notebooks/nbformat.ts';
import type { Notebook } from '../../../shared/nbformat.ts';
import { fixture } from '../notebooks/notebookFiles.ts';

function unescapeAttribute(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

interface Frame {
  tag: string;
  sandbox: string | undefined;
  srcdoc: string | undefined;
}

/** Our iframes: attribute values are escaped, so no `>` occurs inside a tag. */
function frames(html: string): Frame[] {
  return [...html.matchAll(/<iframe\b[^>]*>/g)].map(([tag]) => ({
    tag,
    sandbox: /\ssandbox="([^"]*)"/.exec(tag)?.[1],
    srcdoc: ((s) => (s === undefined ? undefined : unescapeAttribute(s)))(/\ssrcdoc="([^"]*)"/.exec(tag)?.[1]),
  }));
}

const hostile: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    {
      id: 'md',
      cell_type: 'markdown',
      metadata: {},
      source:
        '# Title <script>alert(1)</script>\n\n[x](javascript:alert(2)) [y](JaVaScRiPt:alert(3)) [z](&#106;avascript:alert(15)) ' +
        '![i](data:text/html;base64,PHNjcmlwdD4=) <img src=x onerror=alert(5)> [ok](https://example.org/?a=1&b=2 "T<")\n',
    },
    {
      id: 'code',
      cell_type: 'code',
      metadata: {},
      execution_count: 1,
      source: '</code></pre><script>alert(6)</script>',
      outputs: [
        { output_type: 'stream', name: 'stdout', text: '<script>alert(7)</script>\n' },
        { output_type: 'execute_result', execution_count: 1, metadata: {}, data: { 'text/html': '<b>hi</b><SCRIPT>alert(8)</SCRIPT>', 'text/plain': 'hi' } },
        { output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': '<svg onload="alert(9)"><script>alert(10)</script></svg>' } },
        { output_type: 'display_data', metadata: {}, data: { 'image/png': 'AAAA" onerror="alert(11)', 'text/plain': 'fallback' } },
        { output_type: 'display_data', metadata: {}, data: { 'application/javascript': 'alert(12)', 'text/plain': 'js fallback' } },
        { output_type: 'display_data', metadata: {}, data: { 'text/markdown': '<script>alert(13)</script> **md**' } },
        { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['\u001b[0;31m<script>alert(14)</script>\u001b[0m'] },
      ],
    },
  ],
};

describe('html export', () => {
  const result = exportNotebook(hostile, 'html', { name: 'hostile <notebook>.ipynb' });
  const body = result.body;

  it('is a standalone UTF-8 page', () => {
    assert.equal(result.contentType, 'text/html; charset=utf-8');
    assert.equal(result.filename, 'hostile notebook.html');
    assert.ok(body.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">'));
    assert.ok(body.includes('<title>hostile notebook</title>'));
    assert.doesNotMatch(body, /<link\b|<script\b|\ssrc="(?!data:image\/)/i);
  });

  it('has no script, event handler or javascript: URL outside sandboxed srcdoc frames', () => {
    const outside = body.replace(/<iframe\b[^>]*>/g, '');
    assert.doesNotMatch(outside, /<script/i);
    assert.doesNotMatch(outside, /<[a-z][^>]*\son[a-z]+=/i);
    assert.doesNotMatch(outside, /href="\s*javascript:/i);
    assert.doesNotMatch(outside, /src="data:text/i);
  });

  it('puts text/html and SVG outputs in sandboxed srcdoc iframes, scripts only there', () => {
    const found = frames(body);
    assert.equal(found.length, 2);
    for (const frame of found) assert.equal(frame.sandbox, '', `frame without an empty sandbox: ${frame.tag}`);
    assert.match(found[0]?.srcdoc ?? '', /<b>hi<\/b><SCRIPT>alert\(8\)<\/SCRIPT>/);
    assert.match(found[1]?.srcdoc ?? '', /<svg onload="alert\(9\)"><script>alert\(10\)<\/script><\/svg>/);
  });

  it('escapes sources, streams and tracebacks, and converts ANSI colours', () => {
    assert.ok(body.includes('<code class="language-python">&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(6)&lt;/script&gt;</code>'));
    assert.ok(body.includes('&lt;script&gt;alert(7)&lt;/script&gt;'));
    assert.ok(body.includes('&lt;script&gt;alert(14)&lt;/script&gt;'));
    assert.doesNotMatch(body, /\u001b/);
    assert.match(body, /<span style="color:rgb\(\d+,\d+,\d+\)">&lt;script&gt;alert\(14\)/);
  });

  it('renders markdown, showing raw HTML as text and dropping dangerous URLs', () => {
    assert.ok(body.includes('<h1>Title &lt;script&gt;alert(1)&lt;/script&gt;</h1>'));
    assert.ok(body.includes('<p>x y '), 'javascript: links become their text');
    assert.doesNotMatch(body, /href="[^"]*(javascript|&#106;avascript)/i);
    assert.ok(body.includes(' i &lt;img'), 'a data:text image becomes its alt text');
    assert.ok(body.includes('<a href="https://example.org/?a=1&amp;b=2" title="T&lt;">ok</a>'));
    assert.ok(body.includes('&lt;img src=x onerror=alert(5)&gt;'));
    // A line opening with <script> is an HTML block in CommonMark: all of it is shown as text.
    assert.ok(body.includes('<div class="output markdown">&lt;script&gt;alert(13)&lt;/script&gt; **md**</div>'));
  });

  it('never emits JavaScript outputs and refuses non-base64 image data', () => {
    assert.doesNotMatch(body, /alert\(12\)/);
    assert.ok(body.includes('js fallback'));
    assert.doesNotMatch(body, /alert\(11\)/);
    assert.ok(body.includes('<pre class="output text">fallback</pre>'));
  });

  it('shows images as data: URIs with their size, and markdown attachments inline', () => {
    const rich = exportNotebook(parseNotebook(fixture('rich-outputs-v4.4.ipynb')), 'html', { name: 'r' }).body;
    assert.match(rich, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="output" width="200" height="100">/);
    const attached = exportNotebook(parseNotebook(fixture('markdown-attachments.ipynb')), 'html', { name: 'a' }).body;
    assert.match(attached, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="red dot">/);
    assert.ok(attached.includes('<a href="https://example.org/nbformat/format_description.html">the docs</a>'));
    assert.ok(attached.includes('A bad link must not survive'));
  });

  it('offers a CSP that forbids scripts and loads other than data: images', () => {
    const directives = new Map(EXPORT_CSP.split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }));
    assert.deepEqual(directives.get('sandbox'), []);
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('img-src'), ['data:']);
    assert.ok(!directives.has('script-src'));
    assert.doesNotMatch(EXPORT_CSP, /unsafe-eval|allow-scripts|'unsafe-inline'[^;]*script/);
  });

  it('carries the policy in the page too, for when the file is opened from disk', () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(body);
    assert.ok(meta?.[1], 'no CSP meta element');
    assert.ok(body.indexOf(meta[0]) < body.indexOf('<style>'), 'the policy must come before any content');
    assert.equal(unescapeAttribute(meta[1]), EXPORT_META_CSP);
    // Everything of the header's policy but `sandbox`, which a <meta> policy cannot set.
    assert.equal(`sandbox; ${EXPORT_META_CSP}`, EXPORT_CSP);
    assert.match(EXPORT_META_CSP, /default-src 'none'/);
  });
});
