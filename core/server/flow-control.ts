/**
 * Backpressure bookkeeping of one connection, in both directions: why its
 * socket is paused (held pipelined input, a request body the app is behind
 * on), and who waits for a blocked write to drain.
 */

/** The reasons a connection stopped reading its socket; it reads again once none is left. */
export class ReadPauses {
  /** Too many unparsed pipelined bytes are held. */
  forInput = false;
  /** The app has not caught up with the request body buffered for it. */
  forBody = false;
  private readonly socket: { pause(): void; resume(): void };

  constructor(socket: { pause(): void; resume(): void }) {
    this.socket = socket;
  }

  /** Pauses for held input (no-op when already paused for it). */
  pauseForInput(): void {
    if (this.forInput) return;
    this.forInput = true;
    this.socket.pause();
  }

  /** Pauses for the body; false when already paused for it. */
  pauseForBody(): boolean {
    if (this.forBody) return false;
    this.forBody = true;
    this.socket.pause();
    return true;
  }

  /** Lifts the chosen pauses; reading resumes when none is left and `open` (the connection still serves). */
  lift(input: boolean, body: boolean, open: boolean): void {
    if (input) this.forInput = false;
    if (body) this.forBody = false;
    if (!this.forInput && !this.forBody && open) this.socket.resume();
  }
}

/** One shared promise for everyone waiting on a blocked socket write. */
export class DrainWaiter {
  private promise: Promise<void> | null = null;
  private resolve: (() => void) | null = null;

  /** A promise that resolves at the next {@link wake}. */
  wait(): Promise<void> {
    if (this.promise === null) {
      this.promise = new Promise<void>((resolve) => {
        this.resolve = resolve;
      });
    }
    return this.promise;
  }

  /** Resolves the pending wait, if any (the socket drained or is gone). */
  wake(): void {
    const resolve = this.resolve;
    if (resolve !== null) {
      this.resolve = null;
      this.promise = null;
      resolve();
    }
  }
}
