/**
 * `tricorn` on Bun: assemble this runtime's services and run the command
 * (core/serve.ts). Single process for now; the arbiter takes over here once it exists.
 */
import { runMain } from "../../core/serve.ts";
import { appLoader } from "./load-app.ts";
import { platform } from "./platform.ts";
import { listen } from "./socket.ts";
import { timers } from "./timers.ts";

runMain({ ...platform, ...appLoader, timers, listen });
