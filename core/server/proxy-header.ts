/**
 * Reading the PROXY protocol header a connection from a trusted proxy starts
 * with (`proxy_protocol`), and taking the client's addresses from it.
 */
import { isTrustedPeer, type AddressMatcher } from "../net/ip-match.ts";
import type { ProxyHeaderParser } from "../net/proxy-protocol.ts";
import type { Logger } from "../log/logger.ts";

/** The connection fields a PROXY header rewrites, and what reading it needs. */
export interface ProxiedConnection {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  trustForwarded: boolean;
  readonly forwardedAllow: AddressMatcher;
  readonly logger: Logger;
  destroy(): void;
}

/**
 * Feeds the connection's first bytes to `reader`. Returns the bytes after the
 * header once it is complete (`reader.done`), or null when all of `data` was
 * used: the header is incomplete, or malformed and the connection destroyed
 * (it is not HTTP, so it gets no HTTP response).
 */
export function readProxyHeader(conn: ProxiedConnection, reader: ProxyHeaderParser, data: Uint8Array): Uint8Array | null {
  let used: number;
  try {
    used = reader.feed(data);
  } catch (error) {
    conn.logger.warning(`Closing connection from ${conn.remoteAddress || "unix socket"}: ${(error as Error).message}`);
    conn.destroy();
    return null;
  }
  if (used < 0) return null;
  const addresses = reader.addresses;
  if (addresses !== null) {
    conn.remoteAddress = addresses.remoteAddress;
    conn.remotePort = addresses.remotePort;
    conn.localAddress = addresses.localAddress;
    conn.localPort = addresses.localPort;
    // The proxy's client is now the peer: trust for Forwarded headers is decided on it.
    conn.trustForwarded = isTrustedPeer(conn.forwardedAllow, addresses.remoteAddress);
  }
  return used < data.length ? data.subarray(used) : null;
}
