// What the rest of the server needs from storage. LevelStore implements it on LevelDB.
import type { Role } from '../../shared/roles.ts';

export interface UserRecord {
  id: string;
  name: string;
  admin: boolean;
  created_at: number;
  /** A guest who joined a live session with a code; exists for that notebook only. */
  guest?: { notebookId: string };
  /** Set when a guest's session ended or an admin disabled the account: the user can no longer sign in. */
  disabled?: boolean;
}

/** A live classroom session on a notebook. */
export interface LiveSessionRecord {
  notebookId: string;
  code: string;
  startedAt: number;
  startedBy: string;
}

export interface NotebookRecord {
  id: string;
  name: string;
  owner: string;
  created_at: number;
  updated_at: number;
}

export interface SessionRecord {
  userId: string;
  expires_at: number;
}

/** An append-only log of Yjs updates per document (room name), merged when it grows. */
export interface DocumentLog {
  /** All stored updates of a document, merged; null when nothing was ever stored. */
  load(doc: string): Promise<Uint8Array | null>;
  /** Resolves once the update is durably written (in order, per document). */
  append(doc: string, update: Uint8Array): Promise<void>;
  /** Appends several updates, in order, in one atomic write. */
  appendMany(doc: string, updates: readonly Uint8Array[]): Promise<void>;
  /** Number of updates in the log since the last compaction. */
  logLength(doc: string): Promise<number>;
  /** Deletes a document and its log. */
  remove(doc: string): Promise<void>;
  /** The schema version the stored document was last checked (and repaired) against, if any. */
  checkedAgainst(doc: string): Promise<number | undefined>;
  /** Records that the document, as stored now, was checked against schema version `version`. */
  markChecked(doc: string, version: number): Promise<void>;
  /** Every stored document whose name starts with `prefix`. */
  list(prefix: string): Promise<string[]>;
}

export interface MetaStore {
  /** `indexName: false` keeps the name out of the unique-name index (guests). */
  putUser(user: UserRecord, options?: { indexName?: boolean }): Promise<void>;
  getUser(id: string): Promise<UserRecord | undefined>;
  getUserByName(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** Removes the user record and its name; tokens and sessions naming the id then find no user. */
  deleteUser(id: string): Promise<void>;
  countUsers(): Promise<number>;
  /** Stores only the hash. */
  putTokenHash(hash: string, userId: string): Promise<void>;
  userIdForTokenHash(hash: string): Promise<string | undefined>;
  putSession(hash: string, session: SessionRecord): Promise<void>;
  getSession(hash: string): Promise<SessionRecord | undefined>;
  deleteSession(hash: string): Promise<void>;

  putNotebook(notebook: NotebookRecord): Promise<void>;
  getNotebook(id: string): Promise<NotebookRecord | undefined>;
  listNotebooks(): Promise<NotebookRecord[]>;
  deleteNotebook(id: string): Promise<void>;

  putLiveSession(session: LiveSessionRecord): Promise<void>;
  getLiveSession(notebookId: string): Promise<LiveSessionRecord | undefined>;
  liveSessionByCode(code: string): Promise<LiveSessionRecord | undefined>;
  deleteLiveSession(session: LiveSessionRecord): Promise<void>;

  setMember(notebookId: string, userId: string, role: Role): Promise<void>;
  removeMember(notebookId: string, userId: string): Promise<void>;
  getRole(notebookId: string, userId: string): Promise<Role | undefined>;
  listMembers(notebookId: string): Promise<Array<{ userId: string; role: Role }>>;
  /** Notebook ids the user is a member of, with the role. */
  notebooksOf(userId: string): Promise<Array<{ notebookId: string; role: Role }>>;
}

/** One database entry as stored: key and value bytes, sublevel prefix included. */
export type RawEntry = [key: Uint8Array, value: Uint8Array];

export interface Store {
  docs: DocumentLog;
  meta: MetaStore;
  /** Every entry as of this call (one consistent snapshot), for a backup; close by finishing or breaking the iteration. */
  snapshot(): AsyncGenerator<RawEntry>;
  close(): Promise<void>;
}
