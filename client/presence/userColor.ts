// A stable colour per user id, so a person's cursor has the same colour in every browser; and the
// check that a colour someone else sent is only a colour.
const PALETTE = ['#d1495b', '#2e86ab', '#3c9d5d', '#e08e0b', '#8e44ad', '#16a085', '#c0392b', '#2c3e50', '#d35400', '#7f8c8d'];

export function userColor(userId: string): { color: string; colorLight: string } {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0;
  const color = PALETTE[hash % PALETTE.length] ?? '#2e86ab';
  return { color, colorLight: `${color}33` };
}

/**
 * A colour from another client's awareness state, accepted only as `#rrggbb` (anything else could
 * carry more CSS into a style); otherwise the stable colour of `userId`.
 */
export function presenceColor(value: unknown, userId: string): string {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value) ? value : userColor(userId).color;
}
