// The key layout the LevelDB parts share: sublevels, and within a key the separator between a
// document's name and its sequence number.
import type { AbstractSublevel } from 'abstract-level';
import type { Level } from 'level';

// `level` builds on abstract-level; its sublevel type is the one level's own methods return.
export type Sub<V> = AbstractSublevel<Level<string, string>, string | Buffer | Uint8Array, string, V>;

export const SEP = '!'; // never in a room name (see shared/rooms.ts), sorts before '/' and the id alphabet
export const END = '~'; // sorts after every hex digit
