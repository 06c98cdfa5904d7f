// A small typed event emitter: listeners are registered per event name with argument types
// checked against an event map, and `on` returns its own disposer.

export type EventMap = Record<string, unknown[]>;
export type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<E extends EventMap> {
  private listeners: { [K in keyof E]?: Set<Listener<E[K]>> } = {};

  constructor(private readonly onListenerError?: (event: keyof E, error: unknown) => void) {}

  /** Registers `listener`; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const set: Set<Listener<E[K]>> = this.listeners[event] ?? new Set();
    this.listeners[event] = set;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Registers a listener that runs at most once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  /**
   * Calls every listener of `event`. A throwing listener must not stop the others nor the
   * emitter's owner (often a socket receive loop), so its error goes to `onListenerError`,
   * or is rethrown asynchronously when none was given.
   */
  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners[event];
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        if (this.onListenerError) this.onListenerError(event, error);
        else queueMicrotask(() => { throw error; });
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.listeners[event]?.size ?? 0;
  }

  removeAll(): void {
    this.listeners = {};
  }
}
