/**
 * Bytes a connection has read but not parsed yet: pipelined requests waiting
 * for the response before them, or the rest of a chunk the parser stopped in.
 * The first chunk sits in a field, so the common case (one chunk at a time)
 * allocates nothing.
 */
export class HeldInput {
  private first: Uint8Array | null = null;
  private more: Uint8Array[] | null = null;

  /** True when nothing is held. */
  get empty(): boolean {
    return this.first === null;
  }

  /** Appends a chunk read from the socket. */
  push(chunk: Uint8Array): void {
    if (this.first === null) this.first = chunk;
    else (this.more ??= []).push(chunk);
  }

  /** Removes and returns the oldest chunk, or null when nothing is held. */
  take(): Uint8Array | null {
    const data = this.first;
    if (data === null) return null;
    const more = this.more;
    this.first = more !== null && more.length > 0 ? more.shift()! : null;
    return data;
  }

  /** Puts back the unparsed rest of the chunk just taken, ahead of everything else. */
  unshift(rest: Uint8Array): void {
    if (this.first !== null) (this.more ??= []).unshift(this.first);
    this.first = rest;
  }

  /** Total bytes held. */
  bytes(): number {
    if (this.first === null) return 0;
    let held = this.first.length;
    const more = this.more;
    if (more !== null) for (let i = 0; i < more.length; i++) held += more[i].length;
    return held;
  }

  /** Drops everything held. */
  clear(): void {
    this.first = null;
    this.more = null;
  }
}
