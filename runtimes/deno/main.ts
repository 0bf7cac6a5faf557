/**
 * `tricorn` on Deno: assemble this runtime's services and run the command
 * (core/command/main.ts).
 */
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { Duplex, Readable } from "node:stream";
import { runMain } from "../../core/command/main.ts";
import { appLoader } from "./load-app.ts";
import { platform } from "./platform.ts";
import { processLayer } from "./process.ts";
import { serveNative } from "./native.ts";
import { LightResponse } from "../../adapters/light-response.ts";
import { listen } from "./socket.ts";
import { timers } from "./timers.ts";
import { unixRequest } from "./unix-request.ts";
import { deflateCodec } from "./deflate.ts";

/** This entry point's choice (library code never patches globals): the `light_response` setting. */
function installLightResponse(): void {
  globalThis.Response = LightResponse as unknown as typeof Response;
}

// `Deno.upgradeWebSocket(request)` in an app works for the requests tricorn's core engine makes:
// they carry tricorn's upgrade (adapters/websocket.ts); any other request goes to Deno's own.
const denoUpgrade = Deno.upgradeWebSocket;
Object.defineProperty(Deno, "upgradeWebSocket", {
  configurable: true,
  enumerable: true,
  writable: true,
  value: (request: Request, options?: Deno.UpgradeWebSocketOptions) => {
    const tricornUpgrade = (request as unknown as Record<symbol, unknown>)[Symbol.for("tricorn.upgradeWebSocket")];
    if (typeof tricornUpgrade === "function") return tricornUpgrade.call(request, options);
    return denoUpgrade(request, options);
  },
});

runMain({ ...platform, ...appLoader, timers, listen, serveNative, installLightResponse, deflateCodec, processes: processLayer, nodeStreams: { EventEmitter, Readable, Duplex, Buffer }, unixRequest });
