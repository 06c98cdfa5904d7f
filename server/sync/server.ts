// WebSocket endpoint `/sync/<room>`: authenticate, authorize, then hand the socket to its room.
// Failures complete the upgrade and close with a named code, so clients learn why.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { CLOSE_CODES, CloseCode } from '../../shared/closeCodes.ts';
import { identify, originAllowed } from '../auth/identify.ts';
import type { Users } from '../auth/users.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Notebooks } from '../notebooks/service.ts';
import type { RoomAccess } from './authorize.ts';
import { authorizeRoom } from './authorize.ts';
import type { Connection } from './connection.ts';
import { closeSocket } from './connection.ts';
import type { Room } from './room.ts';
import type { Rooms } from './rooms.ts';

export const SYNC_PATH = '/sync/';

/** The socket closed while its room was loading: nothing to join. */
class SocketClosed extends Error {}
const PING_INTERVAL_MS = 30_000;

export interface SyncServerDeps {
  rooms: Rooms;
  users: Users;
  notebooks: Notebooks;
  log: Logger;
  maxMessageBytes: number;
  /** Open connections per user, every room and tab together (4429 beyond). */
  maxConnectionsPerUser: number;
  allowedOrigins: readonly string[];
  /** The server's base URL (`/` or `/prefix/`): the endpoint is `<base>sync/<room>`. */
  basePath?: string;
  metrics?: Metrics;
  /** The client's address, by the same proxy trust as REST requests' `req.ip`. */
  clientAddress?: (req: IncomingMessage) => string | undefined;
}

export class SyncServer {
  private readonly wss: WebSocketServer;
  /** Open connections, and whether each answered the last ping. */
  private readonly live = new Map<Connection, { room: Room; pong: boolean }>();
  /** Connections per user, counted from authentication (before the room loads) until close. */
  private readonly perUser = new Map<string, number>();
  private readonly pinger: NodeJS.Timeout;
  private readonly syncPath: string;

  constructor(private readonly deps: SyncServerDeps) {
    this.syncPath = `${deps.basePath ?? '/'}${SYNC_PATH.slice(1)}`;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxMessageBytes });
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS).unref();
    deps.notebooks.on('access-changed', (id) => {
      this.recheck(id).catch((err: unknown) => deps.log.error({ err, notebook: id }, 're-checking connections failed'));
    });
    deps.notebooks.on('deleted', (id) => {
      this.closeNotebook(id, CloseCode.NotFound, 'notebook deleted').catch((err: unknown) =>
        deps.log.error({ err, notebook: id }, "closing a deleted notebook's connections failed"),
      );
    });
  }

  /** For `server.on('upgrade')`; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!path.startsWith(this.syncPath)) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.accept(ws, req, path.slice(this.syncPath.length)).catch((err: unknown) => {
        // Nothing a client sends may take the server down: drop this socket, keep serving.
        this.deps.log.error({ err }, 'accepting a websocket failed');
        ws.terminate();
      });
    });
    return true;
  }

  private async accept(ws: WebSocket, req: IncomingMessage, rawName: string): Promise<void> {
    const log = this.deps.log.child({ address: this.deps.clientAddress?.(req) ?? req.socket.remoteAddress });
    // Messages may arrive while we authenticate; keep them in order for the room.
    const early: Uint8Array[] = [];
    const buffer = (data: Buffer) => early.push(new Uint8Array(data));
    ws.on('message', buffer);
    ws.on('error', (err) => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.deps.metrics?.quotaHit('message_size');
      log.warn({ err: err.message }, 'websocket error');
    });
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      closeSocket(ws, CloseCode.NotFound, 'bad room name');
      return;
    }
    if (!originAllowed(req, this.deps.allowedOrigins)) {
      log.warn({ room: name, origin: req.headers.origin }, 'websocket refused: foreign origin');
      closeSocket(ws, CloseCode.Forbidden, 'origin not allowed');
      return;
    }
    let identity: Awaited<ReturnType<typeof identify>>;
    let access: RoomAccess;
    try {
      identity = await identify(req, this.deps.users);
      access = identity ? await authorizeRoom(this.deps.notebooks, identity.user, name) : { ok: false, code: CloseCode.Unauthorized, reason: 'unauthorized' };
    } catch (err) {
      // The store could not answer who this is or what they may open: refuse, and say it is ours.
      log.error({ err, room: name }, 'websocket refused: looking up the user or the notebook failed');
      closeSocket(ws, CloseCode.InternalError, CLOSE_CODES[CloseCode.InternalError].reason);
      return;
    }
    if (!identity) {
      log.info({ room: name }, 'websocket refused: unauthorized');
      closeSocket(ws, CloseCode.Unauthorized, 'unauthorized');
      return;
    }
    if (!access.ok) {
      log.info({ room: name, user: identity.user.id, code: access.code }, `websocket refused: ${access.reason}`);
      closeSocket(ws, access.code, access.reason);
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const userId = identity.user.id;
    const open = this.perUser.get(userId) ?? 0;
    if (open >= this.deps.maxConnectionsPerUser) {
      log.warn({ room: name, user: userId, open }, 'websocket refused: too many connections');
      closeSocket(ws, CloseCode.TooManyConnections, `too many connections (limit ${this.deps.maxConnectionsPerUser} per user)`);
      return;
    }
    this.perUser.set(userId, open + 1);
    const conn: Connection = {
      socket: ws,
      userId,
      userName: identity.user.name,
      write: access.write,
      refusedWrites: 0,
      awarenessIds: new Set(),
    };
    // Registered before the room is loaded: a socket that closes meanwhile must not be left in it.
    let room: Room | undefined;
    ws.on('close', () => {
      const count = (this.perUser.get(userId) ?? 1) - 1;
      if (count > 0) this.perUser.set(userId, count);
      else this.perUser.delete(userId);
      if (!room) return;
      this.live.delete(conn);
      room.leave(conn);
      this.deps.rooms.left(room);
    });
    let joined: Room;
    try {
      joined = await this.deps.rooms.connect(name, (r) => {
        if (ws.readyState !== ws.OPEN) throw new SocketClosed();
        r.join(conn);
        room = r;
      });
    } catch (err) {
      if (err instanceof SocketClosed) return;
      log.error({ err, room: name }, 'room could not be loaded');
      closeSocket(ws, CloseCode.InternalError, 'room could not be loaded');
      return;
    }
    const state = { room: joined, pong: true };
    this.live.set(conn, state);
    // Revoked (a guest's session ended) while this socket was being accepted: closing the user's
    // sockets only finds joined ones, so a socket that joined after that closes itself here.
    const revoked = this.deps.users.revokedReason(conn.userId);
    if (revoked) ws.close(CloseCode.Revoked, revoked);
    ws.off('message', buffer);
    ws.on('pong', () => (state.pong = true));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        log.warn({ room: name, user: conn.userId }, 'text frame on the sync protocol; closing connection');
        closeSocket(ws, CloseCode.MalformedMessage, 'binary frames only');
        return;
      }
      joined.receive(conn, new Uint8Array(data));
    });
    for (const data of early) joined.receive(conn, data);
    log.debug({ room: name, user: conn.userId, write: conn.write }, 'client joined');
  }

  private ping(): void {
    for (const [conn, state] of this.live) {
      if (!state.pong) {
        conn.socket.terminate();
        continue;
      }
      state.pong = false;
      conn.socket.ping();
    }
  }

  /** Roles changed: close connections that lost access, update the write flag of the others. */
  private async recheck(notebookId: string): Promise<void> {
    for (const room of await this.deps.rooms.roomsOf(notebookId)) {
      for (const conn of room.connections) {
        const user = await this.deps.users.byId(conn.userId);
        const access = user ? await authorizeRoom(this.deps.notebooks, user, room.name) : undefined;
        if (!access?.ok) conn.socket.close(CloseCode.Revoked, 'access revoked');
        else conn.write = access.write;
      }
    }
  }

  /** Closes a user's sockets in every room of a notebook. */
  async disconnectUser(notebookId: string, userId: string, code: number, reason: string): Promise<void> {
    for (const room of await this.deps.rooms.roomsOf(notebookId)) {
      for (const conn of room.connections) if (conn.userId === userId) closeSocket(conn.socket, code, reason);
    }
  }

  /** Open connections (for the metrics). */
  get connectionCount(): number {
    return this.live.size;
  }

  /** Whether a user has a socket open on any room of the notebook. */
  isConnected(notebookId: string, userId: string): boolean {
    for (const [conn, { room }] of this.live) {
      if (conn.userId === userId && (room.name === notebookId || room.name.startsWith(`${notebookId}/`))) return true;
    }
    return false;
  }

  async closeNotebook(notebookId: string, code: number, reason: string): Promise<void> {
    for (const room of await this.deps.rooms.roomsOf(notebookId)) room.closeAll(code, reason);
  }

  /** Closes the endpoint; rooms are flushed by `Rooms.dispose`. */
  close(): void {
    clearInterval(this.pinger);
    for (const conn of this.live.keys()) conn.socket.close(CloseCode.GoingAway, CLOSE_CODES[CloseCode.GoingAway].reason);
    this.wss.close();
  }
}
