// A person's colour, derived from their user id alone, used by the server (presence it relays) and
// the client (avatars, cursors, selections), so a person has one colour everywhere. Always
// `#rrggbb`: the only form a colour from another client's presence is accepted in
// (server/sync/presence.ts, client/presence/userColor.ts), and the form a selection's
// translucent tint appends an alpha to (`${color}33`).

/** 24 hues spread round the wheel at two lightnesses: 48 colours, each readable under white text. */
const PALETTE: readonly string[] = [38, 46].flatMap((lightness) =>
  Array.from({ length: 24 }, (_, i) => hslToHex((i * 15 + 7) % 360, 62, lightness)),
);

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const s = saturation / 100;
  const l = lightness / 100;
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** FNV-1a: spreads ids that differ in one character ("u1", "u2") over the palette. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** The stable `#rrggbb` colour of a user id (the same on the server and in every browser). */
export function colorOfUser(userId: string): string {
  return PALETTE[hashOf(userId) % PALETTE.length]!;
}
