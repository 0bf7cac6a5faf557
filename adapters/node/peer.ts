/**
 * What the socket objects of the node interface (socket.ts per request,
 * upgrade-socket.ts after an `'upgrade'`) show of the connection, the way
 * a net.Socket shows it: addresses after trusted proxy headers (as the
 * other interfaces see them), undefined on unix sockets as node:http
 * reports them, `encrypted` for https; and the net.Socket methods about the
 * TCP socket itself (Nagle, keep-alive, event-loop refs) that core's
 * connections accept and ignore.
 */
import type { IncomingRequest } from "../../core/server/types.ts";

/** A connection's endpoints as net.Socket properties. */
export interface Peer {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** True for https (TLS, or a trusted proxy saying so); absent for http, as on a net.Socket. */
  readonly encrypted: true | undefined;
}

/** The endpoints of `incoming` (see the module comment). */
export function peerOf(incoming: IncomingRequest): Peer {
  const unix = incoming.remoteAddress === "";
  const local = incoming.localAddress !== "";
  return {
    remoteAddress: unix ? undefined : incoming.remoteAddress,
    remotePort: unix ? undefined : incoming.remotePort,
    localAddress: local ? incoming.localAddress : undefined,
    localPort: local ? incoming.localPort : undefined,
    encrypted: incoming.scheme === "https" ? true : undefined,
  };
}

/** `IPv6`/`IPv4` for an address, undefined without one (net.Socket's `remoteFamily`). */
export function familyOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.includes(":") ? "IPv6" : "IPv4";
}

/** net.Socket's `address()`: the local endpoint, `{}` on unix sockets. */
export function localAddressInfo(peer: Peer): { address: string; port: number; family: string } | Record<string, never> {
  if (peer.localAddress === undefined) return {};
  return { address: peer.localAddress, port: peer.localPort!, family: familyOf(peer.localAddress)! };
}

/** net.Socket methods about the TCP socket itself, accepted and ignored (they return the socket). */
export interface IgnoredSocketMethods {
  setNoDelay(noDelay?: boolean): this;
  setKeepAlive(enable?: boolean, initialDelay?: number): this;
  ref(): this;
  unref(): this;
}

/** Puts the {@link IgnoredSocketMethods} on a socket class's prototype. */
export function addIgnoredSocketMethods(prototype: object): void {
  for (const name of ["setNoDelay", "setKeepAlive", "ref", "unref"]) {
    Object.defineProperty(prototype, name, {
      value: function (this: unknown) {
        return this;
      },
      writable: true,
      configurable: true,
    });
  }
}
