// A stable colour per user id, so a person's cursor has the same colour as their avatar in every browser.
import { colorFor } from '../people/avatar.ts';

export function userColor(userId: string): { color: string; colorLight: string } {
  const color = colorFor(userId);
  // hsl(h s l) → the same hue, translucent, for the selection behind a remote cursor.
  return { color, colorLight: color.replace(')', ' / 0.2)') };
}
