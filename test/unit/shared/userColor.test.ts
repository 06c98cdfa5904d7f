// One colour per user id, the same on the server (relayed presence) and in the page (avatars,
// cursors): always #rrggbb, stable, and spread so a class of ids gets many different colours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { userColor } from '../../../client/presence/userColor.ts';
import { paletteColor, presenceUser } from '../../../server/sync/presence.ts';
import { colorOfUser } from '../../../shared/userColor.ts';

describe('colorOfUser', () => {
  const ids = Array.from({ length: 40 }, (_, i) => `student-${i}`);

  it('is a #rrggbb colour, the same every time', () => {
    for (const id of ids) {
      assert.match(colorOfUser(id), /^#[0-9a-f]{6}$/);
      assert.equal(colorOfUser(id), colorOfUser(id));
    }
  });

  it('spreads ids that differ in one character over many colours', () => {
    assert.ok(new Set(ids.map(colorOfUser)).size >= 20, 'forty students share too few colours');
  });

  it('is what the server relays and what the page paints', () => {
    for (const id of ids) {
      assert.equal(paletteColor(id), colorOfUser(id));
      assert.equal(userColor(id).color, colorOfUser(id));
      // A client that claims a colour that is not #rrggbb is given its own colour.
      assert.equal(presenceUser({ id, name: 'x' }, { color: 'red; background: url(x)' }).color, colorOfUser(id));
    }
  });
});
