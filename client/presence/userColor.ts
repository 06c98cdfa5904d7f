// A stable colour per user id, so a person's cursor has the same colour as their avatar in every
// browser (shared/userColor.ts, the server's choice too); and the check that a colour someone else
// sent is only a colour.
import { colorOfUser } from '../../shared/userColor.ts';

export function userColor(userId: string): { color: string; colorLight: string } {
  const color = colorOfUser(userId);
  return { color, colorLight: `${color}33` };
}

/**
 * A colour from another client's awareness state, accepted only as `#rrggbb` (anything else could
 * carry more CSS into a style); otherwise the stable colour of `userId`.
 */
export function presenceColor(value: unknown, userId: string): string {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value) ? value : userColor(userId).color;
}
