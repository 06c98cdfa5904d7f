// The headers every response carries, and the page's Content-Security-Policy with its per-response
// style nonce — over the real server and the real client build.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXPORT_CSP } from '../../server/export/index.ts';
import { builtClientDir } from '../e2e/clientBuild.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

function directives(policy: string | null): Map<string, string[]> {
  assert.ok(policy, 'no Content-Security-Policy header');
  return new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
}

function pageNonce(html: string): string | undefined {
  return /<meta property="csp-nonce" nonce="([^"]*)"/.exec(html)?.[1];
}

describe('security headers', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ clientDir: builtClientDir() });
  });
  after(() => t.close());

  it('the page at / has a strict CSP whose style nonce is the one in the page, fresh per response', async () => {
    const first = await fetch(`${t.url}/`);
    assert.equal(first.status, 200);
    const html = await first.text();
    const csp = directives(first.headers.get('content-security-policy'));
    const nonce = pageNonce(html);
    assert.ok(nonce && nonce.length >= 16, `no nonce in the page: ${html.slice(0, 400)}`);
    assert.ok(!html.includes('COHORT_STYLE_NONCE'), 'the placeholder reached the browser');
    assert.deepEqual(csp.get('script-src'), ["'self'"]);
    assert.deepEqual(csp.get('style-src'), ["'self'", `'nonce-${nonce}'`]);
    assert.deepEqual(csp.get('style-src-attr'), ["'unsafe-inline'"]);
    assert.deepEqual(csp.get('default-src'), ["'self'"]);
    assert.deepEqual(csp.get('img-src'), ["'self'", 'data:', 'blob:']);
    assert.deepEqual(csp.get('connect-src'), ["'self'"]);
    assert.deepEqual(csp.get('object-src'), ["'none'"]);
    assert.deepEqual(csp.get('base-uri'), ["'none'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(csp.get('frame-src'), ["'none'"]);
    assert.deepEqual(csp.get('form-action'), ["'none'"]);
    // Nothing wider anywhere: style attributes are the one inline thing allowed.
    for (const [name, values] of csp) {
      const wide = values.filter((value) => ["'unsafe-eval'", "'unsafe-inline'", "'unsafe-hashes'", '*', 'http:', 'https:', 'ws:', 'wss:'].includes(value));
      assert.deepEqual(wide, name === 'style-src-attr' ? ["'unsafe-inline'"] : [], name);
    }
    assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(first.headers.get('referrer-policy'), 'same-origin');
    assert.equal(first.headers.get('x-frame-options'), 'DENY');

    const second = await fetch(`${t.url}/`);
    const secondNonce = pageNonce(await second.text());
    assert.notEqual(secondNonce, nonce, 'a nonce must never be reused');
    assert.deepEqual(directives(second.headers.get('content-security-policy')).get('style-src'), ["'self'", `'nonce-${secondNonce}'`]);
  });

  it('client routes and /index.html get the page with its nonce too', async () => {
    for (const path of ['/index.html', '/some/client/route']) {
      const response = await fetch(`${t.url}${path}`);
      assert.equal(response.status, 200, path);
      const nonce = pageNonce(await response.text());
      assert.ok(nonce && nonce !== 'COHORT_STYLE_NONCE', path);
      assert.ok(response.headers.get('content-security-policy')?.includes(`'nonce-${nonce}'`), path);
    }
  });

  it('every other response carries the policy (no nonce) and the other headers', async () => {
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(await (await fetch(`${t.url}/`)).text())?.[1];
    assert.ok(script, 'the page names its bundle');
    const responses = [
      await fetch(`${t.url}/api/health`),
      await fetch(`${t.url}/api/me`),
      await fetch(`${t.url}/api/no-such-route`),
      await fetch(new URL(script, `${t.url}/`)), // the page names it relative to itself (--base-url)
    ];
    assert.deepEqual(
      responses.map((response) => response.status),
      [200, 401, 404, 200],
    );
    for (const response of responses) {
      const csp = directives(response.headers.get('content-security-policy'));
      assert.deepEqual(csp.get('script-src'), ["'self'"], response.url);
      assert.deepEqual(csp.get('style-src'), ["'self'"], response.url);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], response.url);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', response.url);
      assert.equal(response.headers.get('referrer-policy'), 'same-origin', response.url);
    }
  });

  it('the html export keeps its own sandboxing policy', async () => {
    const created = await t.api(t.adminToken)<{ id: string }>('POST', '/api/notebooks', { name: 'Exported' });
    const response = await fetch(`${t.url}/api/notebooks/${created.body.id}/export?format=html`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-security-policy'), EXPORT_CSP);
  });
});
