/**
 * The npm package's programmatic API on Node (`import { serve, defineConfig } from "tricorn"`,
 * core/command/api.ts), bound to this runtime's services.
 */
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { Duplex, Readable } from "node:stream";
import { createApi, type ServeOptions, type TricornServer } from "../../core/command/api.ts";
import { appLoader } from "./load-app.ts";
import { serveNative } from "./native.ts";
import { platform } from "./platform.ts";
import { listen } from "./socket.ts";
import { timers } from "./timers.ts";

export { defineConfig } from "../../core/command/api.ts";
/** Ask a running master over its control socket, like `tricorn ctl … --json` (docs/operations.md). */
export { ctl } from "./ctl.ts";
export type { ServeApp, ServeOptions, SettingsConfig, TricornConfig, TricornServer } from "../../core/command/api.ts";

// No installLightResponse: a library does not replace the global Response.
const api = createApi({ ...platform, ...appLoader, timers, listen, serveNative, nodeStreams: { EventEmitter, Readable, Duplex, Buffer } });

/** Serve `options.app` with these settings in this process (no worker processes); see core/command/api.ts. */
export function serve(options: ServeOptions): Promise<TricornServer> {
  return api.serve(options);
}
