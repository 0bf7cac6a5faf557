/** WebSocket sessions leave nothing behind on Node's listener (test/neutral/ws-cleanup-cases.ts). */
import { test } from "vitest";
import { checkWebSocketCleanup } from "../neutral/ws-cleanup-cases.ts";
import { listen } from "../../runtimes/node/socket.ts";
import { timers } from "../../runtimes/node/timers.ts";

test("websocket: sessions that ended leave no connection, wheel entry or subscription", () => checkWebSocketCleanup(listen, timers), 30_000);
