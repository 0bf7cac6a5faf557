/**
 * The classes of Node's standard library that Node-style apps are written
 * against: `EventEmitter` (node:events), `Readable` and `Duplex`
 * (node:stream) and `Buffer` (node:buffer). Node,
 * Deno and Bun all implement them, but importing them is a runtime API, so
 * the adapter does not: each runtime hands its own classes in
 * (`Runtime.nodeStreams`, runtimes/*\/main.ts) and this folder stays
 * runtime-neutral like core. The types below are the small structural
 * subset the adapter uses.
 */

/** Listener signature of {@link EmitterLike}. */
// deno-lint-ignore no-explicit-any
export type Listener = (...args: any[]) => void;

/** The subset of node:events `EventEmitter` the adapter calls. */
export interface EmitterLike {
  on(event: string | symbol, listener: Listener): this;
  once(event: string | symbol, listener: Listener): this;
  off(event: string | symbol, listener: Listener): this;
  removeListener(event: string | symbol, listener: Listener): this;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
  listeners(event: string | symbol): Listener[];
  removeAllListeners(event?: string | symbol): this;
}

/** Constructor of {@link EmitterLike}. */
export type EmitterClass = new () => EmitterLike;

/** The subset of node:stream `Readable` the adapter calls (and overrides: `_read`, `_destroy`). */
export interface ReadableLike extends EmitterLike {
  push(chunk: Uint8Array | null): boolean;
  destroy(error?: Error): this;
  read(size?: number): unknown;
  resume(): this;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  _read(size: number): void;
  _destroy(error: Error | null, callback: (error?: Error | null) => void): void;
}

/** Constructor of {@link ReadableLike}. */
export type ReadableClass = new (options?: { highWaterMark?: number }) => ReadableLike;

/** The subset of node:stream `Duplex` the adapter calls and overrides (the socket of an `'upgrade'`). */
export interface DuplexLike extends EmitterLike {
  push(chunk: Uint8Array | null): boolean;
  destroy(error?: Error): this;
  end(): this;
  readonly destroyed: boolean;
  _read(size: number): void;
  _write(chunk: Uint8Array, encoding: string, callback: (error?: Error | null) => void): void;
  _final(callback: (error?: Error | null) => void): void;
  _destroy(error: Error | null, callback: (error?: Error | null) => void): void;
}

/** Constructor of {@link DuplexLike}. */
export type DuplexClass = new (options?: { allowHalfOpen?: boolean }) => DuplexLike;

/** node:buffer's `Buffer`, as far as the adapter uses it (the `head` argument of `'upgrade'`). */
export interface BufferClass {
  from(bytes: Uint8Array): Uint8Array;
  alloc(size: number): Uint8Array;
}

/**
 * What a runtime hands the node interface: its own `EventEmitter`,
 * `Readable` and `Duplex` classes and `Buffer`.
 */
export interface NodeStreamClasses {
  readonly EventEmitter: EmitterClass;
  readonly Readable: ReadableClass;
  readonly Duplex: DuplexClass;
  readonly Buffer: BufferClass;
}
