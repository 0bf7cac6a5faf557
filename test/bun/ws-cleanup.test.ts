/** WebSocket sessions leave nothing behind on Bun's listener (test/neutral/ws-cleanup-cases.ts). */
import { test } from "bun:test";
import { checkWebSocketCleanup } from "../neutral/ws-cleanup-cases.ts";
import { listen } from "../../runtimes/bun/socket.ts";
import { timers } from "../../runtimes/bun/timers.ts";

test("websocket: sessions that ended leave no connection, wheel entry or subscription", () => checkWebSocketCleanup(listen, timers), 30_000);
