// Tokens and session ids are 256 random bits, so a plain SHA-256 is enough to store them: there is
// nothing to brute-force that a slow password hash would protect (unlike a human-chosen password).
import { createHash, randomBytes } from 'node:crypto';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newId(): string {
  return randomBytes(9).toString('base64url');
}
