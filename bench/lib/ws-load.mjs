/**
 * WebSocket echo load generator (run as its own, pinned process by
 * ws-bench.mjs): CONNECTIONS sockets each send one message, wait for its
 * echo, and send the next (closed loop), for SECONDS seconds. Prints one
 * JSON line: messages/s, latency percentiles in ms, the share of one CPU this
 * generator used (near 1 = the client, not the server, sets the pace) and,
 * given SERVER_PID, the server tree's CPU microseconds per message.
 *
 *   node bench/lib/ws-load.mjs PORT CONNECTIONS SIZE SECONDS [SERVER_PID]
 *
 * Raw frames over node:net (masked, one write per message) keep the client
 * cheap and identical for every server. The masking key is not zero, as a
 * real client's (RFC 6455 §5.3) never is in practice: with a zero key a
 * server may skip unmasking (`ws` does), which no browser lets it do. One
 * frame, masked once, is sent over and over: the servers' cost is the same
 * as with a fresh key per frame, the client's stays a single write.
 */
import net from "node:net";
import { treeCpuSeconds } from "./procs.mjs";

const [port, connections, size, seconds, serverPid] = process.argv.slice(2).map(Number);
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** The masking key of every frame (fixed, not zero: see the module comment). */
const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** One masked binary frame carrying `size` bytes. */
function frame(n) {
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.alloc(headerLength + 4 + n, 0x61);
  out[0] = 0x82;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(n, 6);
  }
  for (let i = 0; i < 4; i++) out[headerLength + i] = MASK[i];
  for (let i = 0; i < n; i++) out[headerLength + 4 + i] ^= MASK[i & 3];
  return out;
}

const message = frame(size);
/** Bytes of one echoed (unmasked) frame. */
const echoLength = (size < 126 ? 2 : size < 65536 ? 4 : 10) + size;
const latencies = [];
let measuring = false;
let stopped = false;

function client() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    let head = true;
    let buffered = 0;
    let pending = Buffer.alloc(0);
    let sentAt = 0;
    const send = () => {
      if (stopped) {
        socket.destroy();
        resolve();
        return;
      }
      sentAt = performance.now();
      socket.write(message);
    };
    socket.on("connect", () => {
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on("data", (chunk) => {
      if (head) {
        pending = Buffer.concat([pending, chunk]);
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!pending.subarray(0, 12).toString().includes("101")) {
          reject(new Error(`no 101: ${pending.subarray(0, end).toString()}`));
          return;
        }
        head = false;
        buffered = pending.length - end - 4;
        send();
        return;
      }
      buffered += chunk.length;
      while (buffered >= echoLength) {
        buffered -= echoLength;
        if (measuring) latencies.push(performance.now() - sentAt);
        send();
      }
    });
    socket.on("error", (error) => {
      if (!stopped) reject(error);
      else resolve();
    });
    socket.on("close", () => resolve());
  });
}

const all = Array.from({ length: connections }, client);
// One second of warm-up, then measure.
setTimeout(() => {
  measuring = true;
  const clientStart = process.cpuUsage();
  const wallStart = performance.now();
  const serverStart = serverPid > 0 ? treeCpuSeconds(serverPid) : 0;
  setTimeout(() => {
    measuring = false;
    stopped = true;
    const serverCpu = serverPid > 0 ? treeCpuSeconds(serverPid) - serverStart : 0;
    const used = process.cpuUsage(clientStart);
    const clientCpu = (used.user + used.system) / 1000 / (performance.now() - wallStart);
    const sorted = latencies.slice().sort((a, b) => a - b);
    const pick = (p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
    const serverUsPerMessage = serverPid > 0 && sorted.length > 0 ? (serverCpu * 1e6) / sorted.length : null;
    console.log(JSON.stringify({
      messages: sorted.length, perSecond: sorted.length / seconds, p50: pick(0.5), p99: pick(0.99), clientCpu, serverUsPerMessage,
    }));
    setTimeout(() => process.exit(0), 200);
  }, seconds * 1000);
}, 1000);
Promise.all(all).catch((error) => {
  console.error(String(error));
  process.exit(1);
});
