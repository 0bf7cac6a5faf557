/**
 * `worker_connections` applied the way nginx applies it: a worker at its cap
 * stops accepting — its listeners pause, the listening sockets stay open — and
 * accepts again once a connection closes. New connections then wait in the
 * kernel's backlog, or are accepted by a sibling worker with room that shares
 * the socket; none is reset.
 *
 * A connection can still arrive at the cap: an accept already under way when
 * the listeners paused (Deno), every connection on a runtime that cannot stop
 * accepting (Bun), every connection Node's round-robin cluster master deals
 * out. Such a connection is parked: held unread, outside the count, until a
 * slot frees; parked connections are then served in arrival order. Parking is
 * bounded by `maxParked` (the `backlog` setting: they stand in for the kernel's
 * queue); beyond it a connection is closed, as a full queue would refuse it.
 */
import type { ConnectionAcceptor, Listener, Socket, SocketHandlers } from "../runtime/socket.ts";
import type { Logger } from "../log/logger.ts";
import type { ServerCore } from "./server.ts";

/** Handlers of a connection closed at once (over the parking bound): nothing to do. */
const REFUSED: SocketHandlers = { data() {}, drain() {}, end() {}, close() {} };

/**
 * A connection accepted at the cap, held unread until {@link admit}; its
 * socket's events go to the server's handlers from then on.
 */
class ParkedConnection implements SocketHandlers {
  private target: SocketHandlers | null = null;
  /** Bytes a runtime delivered despite the pause (at most a chunk in flight). */
  private early: Uint8Array[] | null = null;
  /** The client half-closed while parked (it may still wait for a response). */
  private ended = false;

  constructor(
    readonly socket: Socket,
    private readonly gate: ConnectionGate,
  ) {}

  /** Hand the connection to the server and start reading it. */
  admit(server: ServerCore): void {
    const target = server.accept(this.socket);
    this.target = target;
    // Runtimes deliver data asynchronously after resume; the server may pause it again below.
    this.socket.resume();
    if (this.early !== null) for (const chunk of this.early.splice(0)) target.data(chunk);
    if (this.ended) target.end();
  }

  data(chunk: Uint8Array): void {
    if (this.target !== null) this.target.data(chunk);
    else (this.early ??= []).push(chunk);
  }

  drain(): void {
    this.target?.drain();
  }

  end(): void {
    if (this.target !== null) this.target.end();
    else this.ended = true;
  }

  close(error?: unknown): void {
    if (this.target !== null) this.target.close(error);
    else this.gate.forget(this);
  }
}

/** The acceptor for every listener of one worker, capped at `worker_connections`; see the module comment. */
export class ConnectionGate {
  /** Hand this to the runtime listeners. */
  readonly accept: ConnectionAcceptor;
  private readonly listeners: Listener[] = [];
  /** Connections accepted at the cap, oldest first. */
  private readonly parked: ParkedConnection[] = [];
  private paused = false;
  /** Shutting down: listeners are closed, everything that arrived is served. */
  private released = false;
  private warnedCap = false;
  private warnedParking = false;

  /**
   * Gate `server` at `max` open connections, parking at most `maxParked`
   * connections that arrive at the cap. Takes over `server.onConnectionClosed`.
   */
  constructor(
    private readonly server: ServerCore,
    private readonly max: number,
    private readonly maxParked: number,
    private readonly logger: Logger,
  ) {
    this.accept = (socket) => this.acceptSocket(socket);
    server.onConnectionClosed = () => this.roomFreed();
  }

  /** Connections held unread at the cap now. */
  get parkedCount(): number {
    return this.parked.length;
  }

  /** Pause and resume `listener` with the others from now on. */
  watch(listener: Listener): void {
    this.listeners.push(listener);
    if (this.paused) listener.pauseAccepting();
  }

  /**
   * Shutdown, after the listeners were closed: serve every parked connection
   * now (a draining server answers each once, with `Connection: close`) and
   * accept whatever still arrives.
   */
  release(): void {
    this.released = true;
    for (const parked of this.parked.splice(0)) parked.admit(this.server);
  }

  /** A parked connection's socket closed before a slot freed. */
  forget(parked: ParkedConnection): void {
    const index = this.parked.indexOf(parked);
    if (index >= 0) this.parked.splice(index, 1);
  }

  private acceptSocket(socket: Socket): SocketHandlers {
    if (this.released || (this.parked.length === 0 && this.server.connections < this.max)) {
      const handlers = this.server.accept(socket);
      if (this.server.connections >= this.max && !this.released) this.pause();
      return handlers;
    }
    this.pause();
    if (this.parked.length >= this.maxParked) {
      if (!this.warnedParking) this.logger.warning(`worker_connections (${this.max}) reached and ${this.parked.length} connections waiting (backlog); closing new ones`);
      this.warnedParking = true;
      socket.destroy();
      return REFUSED;
    }
    socket.pause();
    const parked = new ParkedConnection(socket, this);
    this.parked.push(parked);
    return parked;
  }

  private pause(): void {
    if (!this.warnedCap) this.logger.warning(`worker_connections (${this.max}) reached; not accepting new connections until some finish`);
    this.warnedCap = true;
    if (this.paused) return;
    this.paused = true;
    for (const listener of this.listeners) listener.pauseAccepting();
  }

  private roomFreed(): void {
    while (this.parked.length > 0 && this.server.connections < this.max) this.parked.shift()!.admit(this.server);
    // Warn again only after a real recovery, not at every close at the boundary.
    if (this.server.connections <= this.max >> 1) this.warnedCap = this.warnedParking = false;
    if (!this.paused || this.released || this.server.connections >= this.max) return;
    this.paused = false;
    for (const listener of this.listeners) listener.resumeAccepting();
  }
}
