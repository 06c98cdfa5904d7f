// Another client's awareness colour is used only when it is a plain #rrggbb colour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presenceColor, userColor } from '../../../client/presence/userColor.ts';

describe('presenceColor', () => {
  it('keeps a #rrggbb colour', () => {
    assert.equal(presenceColor('#1a2B3c', 'u1'), '#1a2B3c');
  });

  it('replaces anything else by the user’s own palette colour', () => {
    const fallback = userColor('u1').color;
    for (const hostile of [
      'red',
      '#fff',
      '#11223344',
      '#112233; position: fixed; inset: 0',
      'red; background: url(http://attacker/x)',
      '#112233 ',
      ' #112233',
      '#11223g',
      'var(--x)',
      '',
      42,
      null,
      undefined,
      { toString: () => '#112233' },
    ]) {
      assert.equal(presenceColor(hostile, 'u1'), fallback, String(hostile));
    }
    assert.match(fallback, /^#[0-9a-f]{6}$/);
  });
});
