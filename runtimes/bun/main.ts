/**
 * `tricorn` on Bun: assemble this runtime's services and run the command
 * (core/command/main.ts).
 */
import { runMain } from "../../core/command/main.ts";
import { appLoader } from "./load-app.ts";
import { platform } from "./platform.ts";
import { processLayer } from "./process.ts";
import { serveNative } from "./native.ts";
import { listen } from "./socket.ts";
import { timers } from "./timers.ts";

runMain({ ...platform, ...appLoader, timers, listen, serveNative, processes: processLayer });
