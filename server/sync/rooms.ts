// The registry of rooms in memory: created on first use, unloaded after the last user leaves and
// only once their state is stored.
import { CLOSE_CODES, CloseCode } from '../../shared/closeCodes.ts';
import type { Logger } from '../log.ts';
import type { DocumentLog } from '../store/types.ts';
import type { RoomOptions } from './room.ts';
import { Room } from './room.ts';

export interface RoomLease {
  readonly room: Room;
  release(): void;
}

export class Rooms {
  private readonly rooms = new Map<string, Promise<Room>>();
  private disposing: Promise<void> | undefined;

  private readonly unloadTimers = new Map<Room, NodeJS.Timeout>();

  constructor(
    private readonly docs: DocumentLog,
    private readonly options: RoomOptions,
    private readonly log: Logger,
    /** How long an unused room stays in memory. */
    private readonly idleMs = 10_000,
  ) {}

  /** The loaded room, creating it if needed. Pair with `release` through a lease or a connection. */
  private open(name: string): Promise<Room> {
    let room = this.rooms.get(name);
    if (!room) {
      const created = new Room(name, this.docs, this.options, this.log);
      room = created.load().then(
        () => created,
        (err: unknown) => {
          this.rooms.delete(name);
          created.destroy();
          throw err;
        },
      );
      this.rooms.set(name, room);
    }
    return room;
  }

  /**
   * The loaded room, still registered when this resolves: a room whose unloading completed while
   * we waited for it is destroyed, so we open a fresh one. Callers must take their reference
   * (lease or connection) synchronously after this resolves.
   */
  private async live(name: string): Promise<Room> {
    for (;;) {
      const pending = this.open(name);
      const room = await pending;
      if (this.rooms.get(name) === pending) return room;
    }
  }

  /** Server-side use of a document (execution writing outputs). Release when done. */
  async acquire(name: string): Promise<RoomLease> {
    if (this.disposing) throw new Error('server is shutting down');
    const room = await this.live(name);
    room.leases++;
    let released = false;
    return {
      room,
      release: () => {
        if (released) return;
        released = true;
        room.leases--;
        this.maybeUnload(room);
      },
    };
  }

  /**
   * Adds a connection to its room (loading it), or throws if the room cannot be loaded or `join`
   * throws. A join that failed leaves the room as if nobody had come: it unloads when idle.
   */
  async connect(name: string, join: (room: Room) => void): Promise<Room> {
    if (this.disposing) throw new Error('server is shutting down');
    const room = await this.live(name);
    try {
      join(room);
    } catch (err) {
      this.maybeUnload(room);
      throw err;
    }
    return room;
  }

  /** Call after a connection left its room. */
  left(room: Room): void {
    this.maybeUnload(room);
  }

  /** The loaded room of that name, if any — without loading it. */
  async loaded(name: string): Promise<Room | undefined> {
    return this.rooms.get(name);
  }

  /** Loaded rooms whose name is `notebookId` or starts with `notebookId/`. */
  async roomsOf(notebookId: string): Promise<Room[]> {
    const names = [...this.rooms.keys()].filter((n) => n === notebookId || n.startsWith(`${notebookId}/`));
    const rooms = await Promise.allSettled(names.map((n) => this.rooms.get(n)!));
    return rooms.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /**
   * Unloads a room nobody uses once it has been idle for `idleMs` and its state is stored. The
   * grace period keeps a room that REST requests touch one after another (every `execute` reads
   * the shared document) from being re-read from LevelDB each time.
   */
  private maybeUnload(room: Room): void {
    if (room.inUse) return;
    clearTimeout(this.unloadTimers.get(room));
    const timer = setTimeout(() => {
      this.unloadTimers.delete(room);
      if (room.inUse) return;
      room
        .flushed()
        .then(async () => {
          // Someone may have joined while the last updates were being stored, or the room was
          // deleted and a new one of that name loaded.
          const registered = this.rooms.get(room.name);
          if (room.inUse || !registered || (await registered.catch(() => undefined)) !== room || room.inUse) return;
          this.rooms.delete(room.name);
          room.destroy();
          this.log.debug({ room: room.name }, 'room unloaded');
        })
        // Not stored: keep it loaded (the next write retries the store), and say so.
        .catch((err: unknown) => this.log.error({ err, room: room.name }, 'unloading a room failed; it stays loaded'));
    }, this.idleMs);
    timer.unref();
    this.unloadTimers.set(room, timer);
  }

  /** Deletes a document: its connections are closed, the room unloaded, the log removed. */
  async removeDocument(name: string, reason = 'document deleted'): Promise<void> {
    const room = await this.rooms.get(name)?.catch(() => undefined);
    if (room) {
      clearTimeout(this.unloadTimers.get(room));
      this.unloadTimers.delete(room);
      room.closeAll(CloseCode.NotFound, reason);
      await room.flushed();
      if (this.rooms.get(name)) {
        this.rooms.delete(name);
        room.destroy();
      }
    }
    await this.docs.remove(name);
  }

  get size(): number {
    return this.rooms.size;
  }

  /** Closes every connection, waits until every room is stored, then unloads them. */
  dispose(): Promise<void> {
    return (this.disposing ??= this.doDispose());
  }

  private async doDispose(): Promise<void> {
    for (const timer of this.unloadTimers.values()) clearTimeout(timer);
    this.unloadTimers.clear();
    const rooms = await Promise.allSettled([...this.rooms.values()]);
    for (const r of rooms) {
      if (r.status !== 'fulfilled') continue;
      r.value.closeAll(CloseCode.GoingAway, CLOSE_CODES[CloseCode.GoingAway].reason);
      await r.value.flushed();
      r.value.destroy();
    }
    this.rooms.clear();
  }
}
