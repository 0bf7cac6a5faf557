/**
 * Native Node WebSocket baseline: the `ws` package's WebSocketServer on
 * node:http, echoing every message (no compression, as tricorn's default).
 * Usage: `node ws-native-node.mjs PORT`.
 */
import http from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2]);
const server = http.createServer((_req, res) => res.end("ws echo"));
const wss = new WebSocketServer({ server, path: "/ws", perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(port, "127.0.0.1");
