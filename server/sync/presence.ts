// Presence (y-protocols awareness) as the server relays it. Everyone's browser renders what one
// member puts there, so every state is checked and rewritten before it enters a room:
//  - bounded: at most `maxStateBytes` of JSON, nested at most `maxDepth` deep, an object or null —
//    so re-encoding it for others can never fail (a state nested 5,000 deep once made
//    `encodeAwarenessUpdate` overflow the stack and took the whole server down);
//  - `user` is the account's: id and name from the authenticated user (guests: their display
//    name), colour the client's only if it is a plain `#rrggbb`, else one from a fixed palette;
//    any other field of `user` is dropped. Cursors, selections and the rest stay the client's;
//  - a connection speaks only for its own awareness clients (at most a few); stock y-websocket
//    clients echo others' states back, and such echoes are dropped quietly;
//  - rate-limited per connection: beyond `perSecond` (with bursts of `burst`), changes are
//    coalesced and the latest state is applied when the budget refills, so a cursor ends up where
//    it was left without the room relaying every mouse move.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { colorOfUser } from '../../shared/userColor.ts';

export interface PresenceLimits {
  maxStateBytes: number;
  maxDepth: number;
  perSecond: number;
  burst: number;
  /** Awareness client ids one connection may speak for (a page has one per document). */
  maxClientsPerConnection: number;
}

export const DEFAULT_PRESENCE_LIMITS: PresenceLimits = {
  maxStateBytes: 8 * 1024,
  maxDepth: 16,
  perSecond: 20,
  burst: 40,
  maxClientsPerConnection: 4,
};

/** The user part of every relayed state. Field names are the ones the client reads (client/presence). */
export interface PresenceUser {
  id: string;
  name: string;
  color: string;
  colorLight: string;
}

export interface AwarenessEntry {
  clientID: number;
  clock: number;
  /** The state as it will be relayed; null: the client left. */
  state: Record<string, unknown> | null;
}

export class PresenceError extends Error {}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** The colour the page would pick for this user (shared/userColor.ts): avatars match cursors. */
export function paletteColor(userId: string): string {
  return colorOfUser(userId);
}

export function presenceUser(account: { id: string; name: string }, claimed: unknown): PresenceUser {
  const color = (claimed as { color?: unknown } | null | undefined)?.color;
  const chosen = typeof color === 'string' && HEX_COLOR.test(color) ? color.toLowerCase() : paletteColor(account.id);
  return { id: account.id, name: account.name, color: chosen, colorLight: `${chosen}33` };
}

/**
 * Decodes an awareness update, checking each state's size and depth before and after parsing,
 * and replaces its `user`. Throws PresenceError for anything out of bounds.
 */
export function readAwarenessUpdate(update: Uint8Array, account: { id: string; name: string }, limits: PresenceLimits): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  if (count > limits.maxClientsPerConnection) throw new PresenceError(`${count} awareness states in one message`);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarString(decoder);
    if (Buffer.byteLength(json) > limits.maxStateBytes) throw new PresenceError(`an awareness state of more than ${limits.maxStateBytes} bytes`);
    // Depth is checked on the text first: JSON.parse itself is safe, but what it builds is not.
    if (jsonDepth(json) > limits.maxDepth) throw new PresenceError(`an awareness state nested deeper than ${limits.maxDepth}`);
    let state: unknown;
    try {
      state = JSON.parse(json);
    } catch {
      throw new PresenceError('an awareness state that is not JSON');
    }
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) throw new PresenceError('an awareness state that is not an object');
    entries.push({ clientID, clock, state: state === null ? null : { ...(state as Record<string, unknown>), user: presenceUser(account, (state as { user?: unknown }).user) } });
  }
  if (decoding.hasContent(decoder)) throw new PresenceError('trailing bytes after the awareness states');
  return entries;
}

/** The deepest nesting of brackets in a JSON text (strings skipped). */
export function jsonDepth(json: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** An awareness update of these entries, as y-protocols encodes one. */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const { clientID, clock, state } of entries) {
    encoding.writeVarUint(encoder, clientID);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}

/**
 * A token bucket per connection that coalesces what exceeds it: `submit` applies at once while
 * the budget lasts, else keeps the newest entry per client and applies them all when a token is
 * back. `dispose` drops what waits (the connection left: nothing of it may linger).
 */
export class PresenceThrottle {
  private tokens: number;
  private last = Date.now();
  private waiting = new Map<number, AwarenessEntry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: PresenceLimits,
    private readonly apply: (entries: AwarenessEntry[]) => void,
  ) {
    this.tokens = limits.burst;
  }

  submit(entries: AwarenessEntry[]): void {
    if (entries.length === 0) return;
    if (this.waiting.size === 0 && this.take()) {
      this.apply(entries);
      return;
    }
    for (const entry of entries) {
      const queued = this.waiting.get(entry.clientID);
      if (!queued || queued.clock <= entry.clock) this.waiting.set(entry.clientID, entry);
    }
    this.timer ??= setTimeout(() => this.flush(), Math.ceil(1000 / this.limits.perSecond));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.waiting.size === 0) return;
    if (!this.take()) {
      this.timer = setTimeout(() => this.flush(), Math.ceil(1000 / this.limits.perSecond));
      return;
    }
    const entries = [...this.waiting.values()];
    this.waiting.clear();
    this.apply(entries);
  }

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.last) / 1000) * this.limits.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
