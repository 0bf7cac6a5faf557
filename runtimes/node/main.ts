/**
 * `tricorn` on Node: assemble this runtime's services and run the command
 * (core/command/main.ts).
 */
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { Duplex, Readable } from "node:stream";
import { setLatin1Decoder } from "../../core/http/chars.ts";
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

// Node's own latin1 decoder is about twice as fast as the portable paths for header values.
setLatin1Decoder((bytes, start, end) => Buffer.prototype.latin1Slice.call(bytes, start, end));
/** This entry point's choice (library code never patches globals): the `light_response` setting. */
function installLightResponse(): void {
  globalThis.Response = LightResponse as unknown as typeof Response;
}

// node:http sends through tricorn's fetch adapter (runtimes/node/native.ts), so --engine native keeps the light Response.
runMain({ ...platform, ...appLoader, timers, listen, serveNative, nativeSendsLightResponse: true, installLightResponse, deflateCodec, processes: processLayer, nodeStreams: { EventEmitter, Readable, Duplex, Buffer }, unixRequest });
