// Live sessions' join codes: read aloud and typed from a projector, so made of letters and digits
// that cannot be taken for one another, and read back forgivingly (any case, spaces and dashes).
import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read aloud and typed from a projector. */
const CODE_ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';
const CODE_LENGTH = 7; // 25^7 ≈ 6·10^9, with attempts rate-limited per address

export function newJoinCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** The code as stored from what a student typed, or undefined when it cannot be a code. */
export function normalizeJoinCode(typed: unknown): string | undefined {
  const normalized = typeof typed === 'string' ? typed.trim().toUpperCase().replace(/[\s-]/g, '') : '';
  return normalized.length === CODE_LENGTH ? normalized : undefined;
}
