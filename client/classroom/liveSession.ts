// The live session as the page sees it: the shared document's `session` map, written only by the
// server. Values from the document are checked here, once, because any client version may have
// written the document before.
import { sharedDoc } from '../../shared/layout.ts';
import type * as Y from 'yjs';


export interface Spotlight {
  cellId: string;
  userId: string;
}

export interface LiveSessionState {
  active: boolean;
  startedAt: number | string | undefined;
  spotlight: Spotlight | undefined;
}

export function sessionMap(doc: Y.Doc): Y.Map<unknown> {
  return sharedDoc(doc).session;
}

function isSpotlight(value: unknown): value is Spotlight {
  if (typeof value !== 'object' || value === null) return false;
  const { cellId, userId } = value as Record<string, unknown>;
  return typeof cellId === 'string' && typeof userId === 'string';
}

export function readLiveSession(doc: Y.Doc): LiveSessionState {
  const map = sessionMap(doc);
  const startedAt = map.get('startedAt');
  const spotlight = map.get('spotlight');
  return {
    active: map.get('active') === true,
    startedAt: typeof startedAt === 'number' || typeof startedAt === 'string' ? startedAt : undefined,
    spotlight: isSpotlight(spotlight) ? spotlight : undefined,
  };
}

/** Calls `listener` with the current state now and after every change of the session map. */
export function watchLiveSession(doc: Y.Doc, listener: (state: LiveSessionState) => void): () => void {
  const map = sessionMap(doc);
  const onChange = () => listener(readLiveSession(doc));
  map.observe(onChange);
  onChange();
  return () => map.unobserve(onChange);
}

