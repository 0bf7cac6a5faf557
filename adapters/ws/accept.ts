/**
 * Accepting one WebSocket on the core engine: check the opening handshake,
 * pick the subprotocol and extensions, write the 101 through the response's
 * upgrade seam (core/server/upgrade.ts) and start a core session on the
 * connection. Shared by the Deno-shaped and the Bun-shaped APIs.
 */
import type { IncomingRequest, ResponseWriter } from "../../core/server/types.ts";
import { canUpgrade } from "../../core/server/upgrade.ts";
import { negotiateDeflate, PerMessageDeflate } from "../../core/ws/deflate.ts";
import { acceptHead, checkUpgrade, type UpgradeOffer, type UpgradeRefusal } from "../../core/ws/handshake.ts";
import { WebSocketSession } from "../../core/ws/session.ts";
import type { WebSocketConfig } from "./config.ts";

/** Per-upgrade choices of the app. */
export interface AcceptChoices {
  /** Subprotocol to answer with; must be one the client offered ("" = none). */
  protocol: string;
  /** Extra 101 response headers (flat list). */
  headers: string[];
  /** Allow permessage-deflate on this socket (when the config allows it). */
  compression: boolean;
  /** Overrides of the configured limits for this socket. */
  maxMessage?: number;
  maxBuffer?: number;
  overflow?: "close" | "drop";
  pingInterval?: number;
}

/** A handshake that passed the checks, ready to be accepted once the app's response is known. */
export interface CheckedUpgrade {
  readonly offer: UpgradeOffer;
  readonly req: IncomingRequest;
  readonly res: ResponseWriter;
}

/** Checks the handshake of `req`; a refusal says what to answer. */
export function checkRequest(req: IncomingRequest, res: ResponseWriter): CheckedUpgrade | UpgradeRefusal {
  const offer = checkUpgrade(req.head);
  if (!offer.ok) return offer;
  return { offer, req, res };
}

/** Whether the response writer of this request can switch protocols at all. */
export function upgradable(res: ResponseWriter): boolean {
  return canUpgrade(res);
}

/** The accepted socket: the session and what was negotiated. */
export interface Accepted {
  session: WebSocketSession;
  protocol: string;
  extensions: string;
}

/**
 * Writes the 101 and starts the session; null when the connection can no
 * longer switch (client gone, server draining).
 * @throws TypeError when the app's headers or protocol are invalid
 */
export function acceptUpgrade(checked: CheckedUpgrade, config: WebSocketConfig, choices: AcceptChoices): Accepted | null {
  const { offer, res } = checked;
  if (!canUpgrade(res)) return null;
  const protocol = choices.protocol;
  if (protocol !== "" && !offer.protocols.includes(protocol)) {
    throw new TypeError(`subprotocol ${JSON.stringify(protocol)} was not offered by the client (offered: ${offer.protocols.join(", ") || "none"})`);
  }
  let deflate: PerMessageDeflate | null = null;
  let extensions = "";
  if (choices.compression && config.compression && config.codec !== null && offer.extensions !== "") {
    const policy = { serverNoContextTakeover: false, threshold: 64, level: 1 };
    const agreed = negotiateDeflate(offer.extensions, policy);
    if (agreed !== null) {
      deflate = new PerMessageDeflate(config.codec, agreed.params, policy);
      extensions = agreed.header;
    }
  }
  const head = acceptHead({ key: offer.key, protocol, extensions, headers: choices.headers, server: config.serverHeader });
  let session: WebSocketSession | null = null;
  const upgraded = res.upgrade(head, (host) => {
    session = new WebSocketSession(host, {
      maxMessage: choices.maxMessage ?? config.maxMessage,
      maxBuffer: choices.maxBuffer ?? config.maxBuffer,
      overflow: choices.overflow ?? config.overflow,
      pingInterval: choices.pingInterval ?? config.pingInterval,
      pingTimeout: config.pingTimeout,
      deflate,
    });
    return session;
  });
  if (upgraded === null || session === null) {
    deflate?.close();
    return null;
  }
  return { session, protocol, extensions };
}
