/**
 * Event objects and a small listener registry for the WHATWG-shaped
 * WebSocket. The registry (not EventTarget) is used so an exception in an
 * app listener is logged and contained instead of being rethrown by the
 * runtime as an uncaught exception that would take the worker down.
 */

/** `message` event: `data` is a string, an ArrayBuffer or a Blob (per binaryType). */
export class WebSocketMessageEvent extends Event {
  readonly data: string | ArrayBuffer | Blob;
  readonly origin: string;
  readonly lastEventId = "";
  readonly ports: readonly unknown[] = [];
  readonly source = null;
  constructor(data: string | ArrayBuffer | Blob, origin: string) {
    super("message");
    this.data = data;
    this.origin = origin;
  }
}

/** `close` event (CloseEvent fields; Node 20 has no global CloseEvent). */
export class WebSocketCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(code: number, reason: string, wasClean: boolean) {
    super("close");
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/** `error` event with the cause, when there is one. */
export class WebSocketErrorEvent extends Event {
  readonly message: string;
  readonly error: unknown;
  constructor(message: string, error?: unknown) {
    super("error");
    this.message = message;
    this.error = error;
  }
}

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

/** addEventListener/removeEventListener/dispatchEvent with every listener call contained. */
export class ListenerRegistry {
  private readonly listeners = new Map<string, { listener: Listener; once: boolean }[]>();
  private readonly report: (message: string, error: unknown) => void;

  constructor(report: (message: string, error: unknown) => void) {
    this.report = report;
  }

  add(type: string, listener: Listener | null, options?: boolean | { once?: boolean }): void {
    if (listener == null) return;
    const list = this.listeners.get(type) ?? [];
    if (list.some((entry) => entry.listener === listener)) return;
    list.push({ listener, once: typeof options === "object" && options !== null && options.once === true });
    this.listeners.set(type, list);
  }

  remove(type: string, listener: Listener | null): void {
    const list = this.listeners.get(type);
    if (list === undefined || listener == null) return;
    const at = list.findIndex((entry) => entry.listener === listener);
    if (at >= 0) list.splice(at, 1);
  }

  /** Calls the `on<type>` handler, then every listener, each in its own try/catch. */
  dispatch(target: object, event: Event, handler: ((event: Event) => unknown) | null): void {
    if (handler !== null) this.call(target, handler, event);
    const list = this.listeners.get(event.type);
    if (list === undefined) return;
    for (const entry of list.slice()) {
      if (entry.once) this.remove(event.type, entry.listener);
      this.call(target, entry.listener, event);
    }
  }

  private call(target: object, listener: Listener, event: Event): void {
    try {
      const result = typeof listener === "function" ? listener.call(target, event) : listener.handleEvent(event);
      if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
        (result as Promise<unknown>).then(undefined, (error: unknown) => this.report(`Error in a WebSocket ${event.type} listener`, error));
      }
    } catch (error) {
      this.report(`Error in a WebSocket ${event.type} listener`, error);
    }
  }
}
