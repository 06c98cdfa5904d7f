// The REST client: one place that knows the server's paths and its error shape
// (`{ error: { code, message } }`), so views only ever show `message`.
import type { Role } from '../shared/roles.ts';
import type { Notebook } from '../shared/nbformat.ts';
import type { KernelStatus } from '../shared/schema.ts';
import type { KernelListing } from '../shared/kernels.ts';
import { serverPath } from './baseUrl.ts';

export interface Me {
  id: string;
  name: string;
  admin: boolean;
  /** Where the server runs kernels; `none`: not isolated from each other (owners see a banner). */
  kernelSandbox?: 'bwrap' | 'none';
  /** A live-session guest: confined to one notebook, no kernels panel. */
  guest?: boolean;
}

export interface NotebookSummary {
  id: string;
  name: string;
  owner: string;
  /** The owner's name (servers before it was added send only the id). */
  owner_name?: string;
  role: Role;
  created_at: string | number;
  updated_at: string | number;
}

export interface Member {
  userId: string;
  name: string;
  role: Role;
}

export interface NotebookDetails extends NotebookSummary {
  members: Member[];
}

export interface KernelInfo {
  status: KernelStatus;
  [key: string]: unknown;
}

/** `POST|GET /api/notebooks/:id/session`: code and joinUrl are given to owners only. */
export interface LiveSession {
  active: boolean;
  startedAt?: number | string;
  code?: string;
  joinUrl?: string;
}

export interface StartedSession {
  code: string;
  joinUrl: string;
  startedAt: number | string;
}

export interface JoinResult {
  notebookId: string;
  user: { id: string; name: string; guest: boolean };
  token?: string;
}

export interface RosterStudent {
  userId: string;
  name: string;
  guest: boolean;
  connected: boolean;
  /** A KernelStatus, as a string: the server may know states this page does not. */
  kernel: string;
}

export interface RosterCell {
  cellId: string;
  ran: number;
  ok: number;
  errors: number;
}

export interface ExerciseProgress {
  cellId: string;
  edited: number;
  ran: number;
  errors: number;
}

export interface Roster {
  students: RosterStudent[];
  connected: number;
  cells: RosterCell[];
  /** Per exercise cell: students who edited it, ran it, got an error. */
  exercises?: ExerciseProgress[];
}

export interface RevealResult {
  revealed: string[];
  hidden: number;
}

export interface Account {
  id: string;
  name: string;
  admin: boolean;
  disabled: boolean;
  created_at: number;
  guest?: boolean;
}

export interface CreatedAccount {
  id: string;
  name: string;
  admin: boolean;
  token: string;
  loginUrl: string;
}

export interface Person {
  id: string;
  name: string;
}

export type ExportFormat = 'ipynb' | 'py' | 'md' | 'html' | 'zip';
export type ExportOutputs = 'mine' | 'shared' | 'none';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isErrorBody(body: unknown): body is { error: { code: string; message: string } } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  let response: Response;
  try {
    response = await fetch(serverPath(path), init);
  } catch (error) {
    throw new ApiError(0, 'network', `Cannot reach the server (${(error as Error).message})`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (!response.ok) throw new ApiError(response.status, 'http', `${response.status} ${response.statusText}`);
      throw new ApiError(response.status, 'bad_response', `Unexpected response from ${method} ${path}`);
    }
  }
  if (!response.ok) {
    if (isErrorBody(parsed)) throw new ApiError(response.status, parsed.error.code, parsed.error.message);
    throw new ApiError(response.status, 'http', `${response.status} ${response.statusText}`);
  }
  return parsed as T;
}

const nb = (id: string) => `/api/notebooks/${encodeURIComponent(id)}`;

export const api = {
  me: () => request<Me>('GET', '/api/me'),
  login: (token: string) => request<unknown>('POST', '/api/login', { token }),
  logout: () => request<unknown>('POST', '/api/logout'),

  listNotebooks: async () => (await request<{ notebooks: NotebookSummary[] }>('GET', '/api/notebooks')).notebooks,
  createNotebook: (name: string, notebook?: Notebook) =>
    request<NotebookSummary>('POST', '/api/notebooks', notebook ? { name, notebook } : { name }),
  notebook: (id: string) => request<NotebookDetails>('GET', nb(id)),
  renameNotebook: (id: string, name: string) => request<NotebookSummary>('PATCH', nb(id), { name }),
  deleteNotebook: (id: string) => request<void>('DELETE', nb(id)),
  setMember: (id: string, userIdOrName: string, role: Role) =>
    request<unknown>('PUT', `${nb(id)}/members/${encodeURIComponent(userIdOrName)}`, { role }),
  removeMember: (id: string, userId: string) =>
    request<unknown>('DELETE', `${nb(id)}/members/${encodeURIComponent(userId)}`),
  exportUrl: (id: string, format: ExportFormat, outputs: ExportOutputs) =>
    serverPath(`${nb(id)}/export?format=${format}&outputs=${outputs}`),

  execute: (id: string, cellIds: string[]) => request<unknown>('POST', `${nb(id)}/execute`, { cellIds }),
  kernel: (id: string, shared = false) => request<KernelInfo>('GET', `${nb(id)}/kernel${shared ? '?scope=shared' : ''}`),
  interrupt: (id: string, shared = false) =>
    request<unknown>('POST', `${nb(id)}/kernel/interrupt${shared ? '?scope=shared' : ''}`),
  restart: (id: string, shared = false) =>
    request<unknown>('POST', `${nb(id)}/kernel/restart${shared ? '?scope=shared' : ''}`),
  shutdown: (id: string, shared = false) =>
    request<unknown>('DELETE', `${nb(id)}/kernel${shared ? '?scope=shared' : ''}`),
  answerStdin: (id: string, value: string) => request<unknown>('POST', `${nb(id)}/stdin`, { value }),
  publish: (id: string, cellId: string) =>
    request<unknown>('POST', `${nb(id)}/cells/${encodeURIComponent(cellId)}/publish`),
  startSession: (id: string) => request<StartedSession>('POST', `${nb(id)}/session`),
  session: (id: string) => request<LiveSession>('GET', `${nb(id)}/session`),
  endSession: (id: string, keepPrivate: boolean) => request<void>('DELETE', `${nb(id)}/session?keepPrivate=${keepPrivate}`),
  join: (code: string, name: string) => request<JoinResult>('POST', '/api/join', { code, name }),
  roster: (id: string) => request<Roster>('GET', `${nb(id)}/session/roster`),
  hideFrom: (id: string, fromCellId: string) => request<unknown>('POST', `${nb(id)}/session/hide`, { fromCellId }),
  reveal: (id: string, count = 1) => request<RevealResult>('POST', `${nb(id)}/session/reveal`, { count }),
  /** Reveals every hidden cell up to and including `cellId`, in order. */
  revealThrough: (id: string, cellId: string) => request<RevealResult>('POST', `${nb(id)}/session/reveal`, { throughCellId: cellId }),
  revealAll: (id: string) => request<RevealResult>('POST', `${nb(id)}/session/reveal`, { all: true }),
  spotlight: (id: string, target: { cellId: string; userId: string } | undefined) =>
    request<unknown>('POST', `${nb(id)}/session/spotlight`, target ?? {}),
  sessionOptions: (id: string, options: { handinsVisible: boolean }) => request<void>('POST', `${nb(id)}/session/options`, options),
  clearHandins: (id: string) => request<void>('DELETE', `${nb(id)}/session/handins`),
  kernels: (notebookId?: string) =>
    request<KernelListing>('GET', `/api/kernels${notebookId ? `?notebook=${encodeURIComponent(notebookId)}` : ''}`),
  restartKernel: (kernelId: string) => request<void>('POST', `/api/kernels/${encodeURIComponent(kernelId)}/restart`),
  shutdownKernel: (kernelId: string) => request<void>('DELETE', `/api/kernels/${encodeURIComponent(kernelId)}`),

  accounts: async () => (await request<{ users: Account[] }>('GET', '/api/users')).users,
  createAccount: (name: string, admin: boolean) => request<CreatedAccount>('POST', '/api/users', { name, admin }),
  setAccountDisabled: (userId: string, disabled: boolean) =>
    request<Account>('PATCH', `/api/users/${encodeURIComponent(userId)}`, { disabled }),
  deleteAccount: (userId: string, withNotebooks: boolean) =>
    request<{ notebooksDeleted: number }>('DELETE', `/api/users/${encodeURIComponent(userId)}${withNotebooks ? '?notebooks=delete' : ''}`),
  suggestPeople: async (query: string) =>
    (await request<{ users: Person[] }>('GET', `/api/users/suggest?q=${encodeURIComponent(query)}`)).users,
};

export type Api = typeof api;

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
