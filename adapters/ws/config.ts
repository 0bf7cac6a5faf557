/**
 * WebSocket settings as the adapters apply them (from the `websocket_*`
 * settings), plus the compression codec the runtime provides.
 */
import type { Settings } from "../../core/config/settings.ts";
import type { DeflateCodec } from "../../core/ws/deflate.ts";
import type { OverflowPolicy } from "../../core/ws/session.ts";

/** Limits, timings and compression for every WebSocket of a worker. */
export interface WebSocketConfig {
  /** Largest incoming message in bytes (after decompression); over → close 1009. 0 = no limit. */
  maxMessage: number;
  /** Unsent output per socket in bytes before {@link overflow} applies. 0 = no limit. */
  maxBuffer: number;
  /** Over {@link maxBuffer}: close with 1008, or drop the message (send returns 0). */
  overflow: OverflowPolicy;
  /** Idle ms before a keep-alive ping; 0 = none. */
  pingInterval: number;
  /** Ms to wait for the peer after a ping or after our Close before dropping the connection. */
  pingTimeout: number;
  /** Negotiate permessage-deflate when the client offers it (needs {@link codec}). */
  compression: boolean;
  /** Raw deflate streams from the runtime; null = no compression available. */
  codec: DeflateCodec | null;
  /** `Server` header of the 101 response ("" = none). */
  serverHeader: string;
}

/** Defaults, matching the settings table's. */
export function defaultWebSocketConfig(): WebSocketConfig {
  return {
    maxMessage: 16 * 1024 * 1024,
    maxBuffer: 16 * 1024 * 1024,
    overflow: "close",
    pingInterval: 30_000,
    pingTimeout: 10_000,
    compression: false,
    codec: null,
    serverHeader: "tricorn",
  };
}

/** The WebSocket settings of a worker (`websocket_*`, `server_header`) with the runtime's codec. */
export function websocketConfigFrom(settings: Settings, codec: DeflateCodec | undefined): WebSocketConfig {
  return {
    maxMessage: settings.websocket_max_message,
    maxBuffer: settings.websocket_max_buffer,
    overflow: settings.websocket_overflow,
    pingInterval: settings.websocket_ping_interval * 1000,
    pingTimeout: settings.websocket_ping_timeout * 1000,
    compression: settings.websocket_compression,
    codec: codec ?? null,
    serverHeader: settings.server_header,
  };
}
