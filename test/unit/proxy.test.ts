/**
 * Trusted proxy headers and PROXY protocol through a real ServerCore and
 * Connection on fake sockets: what the handler sees as remote address,
 * local address and scheme, and how bad PROXY headers close connections.
 */
import { describe, expect, it } from "vitest";
import { ServerCore, type ServerCoreInit } from "../../core/server/server.ts";
import type { IncomingRequest, RequestHandler } from "../../core/server/types.ts";
import { V2_SIGNATURE } from "../../core/net/proxy-protocol.ts";
import { FakeSocket, FakeTimers, MemoryLogger, settle, splitResponses } from "./fake-socket.ts";

/** Answers with what the request looked like: `scheme remote:port local:port`. */
const whoami: RequestHandler = (req, res) => {
  res.send(200, undefined, [], `${req.scheme} ${req.remoteAddress}:${req.remotePort} ${req.localAddress}:${req.localPort}`);
};

function makeServer(options: ServerCoreInit["options"] = {}, handler: RequestHandler = whoami) {
  const timers = new FakeTimers();
  const logger = new MemoryLogger();
  const server = new ServerCore({ handler, timers, logger, options: { serverHeader: "", ...options } });
  const connect = (peer: Partial<Pick<FakeSocket, "remoteAddress" | "remotePort" | "encrypted">> = {}): FakeSocket => {
    const socket = new FakeSocket();
    Object.assign(socket, peer);
    socket.handlers = server.accept(socket);
    return socket;
  };
  return { server, timers, logger, connect };
}

const GET = (headers = "") => `GET / HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
const bodies = (socket: FakeSocket) => splitResponses(socket.text()).map((r) => `${r.status} ${r.body}`);

describe("forwarded headers", () => {
  const headers = "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n";

  it("are applied from a trusted peer (127.0.0.1 by default)", () => {
    const { connect } = makeServer();
    const s = connect();
    s.send(GET(headers));
    expect(bodies(s)).toEqual(["200 https 203.0.113.7:0 127.0.0.1:8000"]);
  });

  it("are applied from an IPv4-mapped trusted peer", () => {
    const { connect } = makeServer();
    const s = connect({ remoteAddress: "::ffff:127.0.0.1" });
    s.send(GET(headers));
    expect(bodies(s)).toEqual(["200 https 203.0.113.7:0 127.0.0.1:8000"]);
  });

  it("are ignored from an untrusted peer, but stay visible as headers", () => {
    const seen: IncomingRequest[] = [];
    const { connect } = makeServer({}, (req, res) => {
      seen.push(req);
      whoami(req, res);
    });
    const s = connect({ remoteAddress: "198.51.100.9", remotePort: 1234 });
    s.send(GET(headers));
    expect(bodies(s)).toEqual(["200 http 198.51.100.9:1234 127.0.0.1:8000"]);
    expect(seen[0].head.headers).toContain("x-forwarded-for");
  });

  it("are trusted from networks and `*`", () => {
    const cidr = makeServer({ forwardedAllowIps: ["198.51.100.0/24"] }).connect({ remoteAddress: "198.51.100.9" });
    cidr.send(GET(headers));
    expect(bodies(cidr)[0]).toMatch(/^200 https 203\.0\.113\.7/);
    const any = makeServer({ forwardedAllowIps: ["*"] }).connect({ remoteAddress: "2001:db8::9" });
    any.send(GET(headers));
    expect(bodies(any)[0]).toMatch(/^200 https 203\.0\.113\.7/);
  });

  it("are trusted from Unix-socket peers", () => {
    const s = makeServer({ forwardedAllowIps: ["10.9.9.9"] }).connect({ remoteAddress: "", remotePort: 0 });
    s.send(GET(headers));
    expect(bodies(s)[0]).toMatch(/^200 https 203\.0\.113\.7/);
  });

  it("apply per request on a keep-alive connection", () => {
    const s = makeServer().connect();
    s.send(GET(headers));
    s.send(GET());
    s.send(GET("Forwarded: for=192.0.2.1;proto=https\r\n"));
    expect(bodies(s)).toEqual([
      "200 https 203.0.113.7:0 127.0.0.1:8000",
      "200 http 127.0.0.1:54321 127.0.0.1:8000",
      "200 https 192.0.2.1:0 127.0.0.1:8000",
    ]);
  });

  it("a TLS socket is https unless a trusted proxy says otherwise", () => {
    const s = makeServer({ forwardedAllowIps: [] }).connect({ encrypted: true });
    s.send(GET("X-Forwarded-Proto: http\r\n"));
    expect(bodies(s)).toEqual(["200 https 127.0.0.1:54321 127.0.0.1:8000"]);
  });

  it("contradicting scheme headers from a trusted peer get 400 and the app is not called", () => {
    let called = false;
    const s = makeServer({}, (req, res) => {
      called = true;
      whoami(req, res);
    }).connect();
    s.send(GET("X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n"));
    expect(bodies(s)[0]).toMatch(/^400 /);
    expect(called).toBe(false);
  });
});

describe("PROXY protocol", () => {
  const v1 = "PROXY TCP4 203.0.113.7 192.0.2.10 51000 443\r\n";

  it("v1 from an allowed peer sets the addresses", () => {
    const s = makeServer({ proxyProtocol: true }).connect();
    s.send(v1 + GET());
    expect(bodies(s)).toEqual(["200 http 203.0.113.7:51000 192.0.2.10:443"]);
  });

  it("v1 split byte by byte, then pipelined requests", () => {
    const s = makeServer({ proxyProtocol: true }).connect();
    const bytes = v1 + GET() + GET();
    for (const c of bytes) s.send(c);
    expect(bodies(s)).toEqual(["200 http 203.0.113.7:51000 192.0.2.10:443", "200 http 203.0.113.7:51000 192.0.2.10:443"]);
  });

  it("v2 from an allowed peer sets the addresses", () => {
    const header = new Uint8Array([...V2_SIGNATURE, 0x21, 0x11, 0, 12, 203, 0, 113, 7, 192, 0, 2, 10, 0xc7, 0x38, 0x01, 0xbb]);
    const s = makeServer({ proxyProtocol: true }).connect();
    s.send(header);
    s.send(GET());
    expect(bodies(s)).toEqual(["200 http 203.0.113.7:51000 192.0.2.10:443"]);
  });

  it("UNKNOWN / LOCAL keep the real endpoints", () => {
    const s = makeServer({ proxyProtocol: true }).connect();
    s.send("PROXY UNKNOWN\r\n" + GET());
    expect(bodies(s)).toEqual(["200 http 127.0.0.1:54321 127.0.0.1:8000"]);
  });

  it("is read only once, at the start of the connection", () => {
    const s = makeServer({ proxyProtocol: true }).connect();
    s.send(v1 + GET() + v1);
    const responses = bodies(s);
    expect(responses[0]).toBe("200 http 203.0.113.7:51000 192.0.2.10:443");
    expect(responses[1]).toMatch(/^400 /);
  });

  it("a connection without the header is closed without a response", async () => {
    const { connect, logger } = makeServer({ proxyProtocol: true });
    const s = connect();
    s.send(GET());
    await settle();
    expect(s.text()).toBe("");
    expect(s.destroyed).toBe(true);
    expect(logger.at("warning").join("\n")).toMatch(/does not start with a PROXY header/);
  });

  it("a malformed header is closed without a response", async () => {
    const s = makeServer({ proxyProtocol: true }).connect();
    s.send("PROXY TCP4 203.0.113.7 192.0.2.10 51000\r\n" + GET());
    await settle();
    expect(s.text()).toBe("");
    expect(s.destroyed).toBe(true);
  });

  it("from a peer not allowed, the bytes are HTTP: a PROXY line gets 400", () => {
    const s = makeServer({ proxyProtocol: true, proxyAllowIps: ["10.9.9.9"] }).connect();
    s.send(v1 + GET());
    expect(bodies(s)[0]).toMatch(/^400 /);
    const plain = makeServer({ proxyProtocol: true, proxyAllowIps: ["10.9.9.9"] }).connect();
    plain.send(GET());
    expect(bodies(plain)).toEqual(["200 http 127.0.0.1:54321 127.0.0.1:8000"]);
  });

  it("is not expected when proxy_protocol is off", () => {
    const s = makeServer().connect();
    s.send(v1 + GET());
    expect(bodies(s)[0]).toMatch(/^400 /);
  });

  it("trust for forwarded headers is decided on the PROXY source", () => {
    // The PROXY header says the client is 198.51.100.9 (not trusted): its X-Forwarded-For is ignored.
    const untrusted = makeServer({ proxyProtocol: true }).connect();
    untrusted.send("PROXY TCP4 198.51.100.9 192.0.2.10 1 2\r\n" + GET("X-Forwarded-For: 203.0.113.7\r\n"));
    expect(bodies(untrusted)).toEqual(["200 http 198.51.100.9:1 192.0.2.10:2"]);
    // The PROXY source is a trusted proxy: its X-Forwarded-For applies.
    const trusted = makeServer({ proxyProtocol: true, forwardedAllowIps: ["10.0.0.0/8"] }).connect();
    trusted.send("PROXY TCP4 10.1.1.1 192.0.2.10 1 2\r\n" + GET("X-Forwarded-For: 203.0.113.7\r\n"));
    expect(bodies(trusted)).toEqual(["200 http 203.0.113.7:0 192.0.2.10:2"]);
  });

  it("a peer that never completes the header is closed at the head timeout, without 408", async () => {
    const { connect, timers } = makeServer({ proxyProtocol: true, headerTimeout: 1 });
    const s = connect();
    s.send("PROXY TCP4 1.2.3.4");
    timers.advance(2000);
    await settle();
    expect(s.ended || s.destroyed).toBe(true);
    expect(s.text()).toBe("");
  });

  it("a peer that closes mid-header is closed quietly", async () => {
    const s = makeServer({ proxyProtocol: true }).connect();
    s.send("PROXY TCP4 1.2.3.4");
    s.peerEnd();
    await settle();
    expect(s.ended).toBe(true);
    expect(s.text()).toBe("");
  });
});
