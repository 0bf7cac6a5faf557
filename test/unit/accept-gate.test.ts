/**
 * The worker_connections gate (core/server/accept-gate.ts) on fake sockets:
 * listeners pause at the cap and resume below it, connections arriving at the
 * cap are parked unread and served in order when a slot frees, the parking
 * bound closes the excess, and shutdown serves what is parked.
 */
import { describe, expect, test } from "vitest";
import { ConnectionGate } from "../../core/server/accept-gate.ts";
import type { Listener } from "../../core/runtime/socket.ts";
import { FakeSocket, settle } from "./fake-socket.ts";
import { GET, echo, makeServer } from "./connection-helpers.ts";

/** A listener that records its pause state. */
function fakeListener() {
  const calls: string[] = [];
  const listener: Listener = {
    url: "http://127.0.0.1:0",
    close: async () => {},
    pauseAccepting: () => void calls.push("pause"),
    resumeAccepting: () => void calls.push("resume"),
  };
  return { listener, calls };
}

function setup(max: number, maxParked = 10) {
  const { server, logger } = makeServer(echo);
  const gate = new ConnectionGate(server, max, maxParked, logger);
  const { listener, calls } = fakeListener();
  gate.watch(listener);
  const connect = (): FakeSocket => {
    const socket = new FakeSocket();
    socket.handlers = gate.accept(socket);
    return socket;
  };
  return { server, gate, logger, calls, connect };
}

describe("ConnectionGate", () => {
  test("pauses the listeners when the cap is reached and resumes when a connection closes", async () => {
    const { server, calls, connect, logger } = setup(2);
    const a = connect();
    expect(calls).toEqual([]);
    connect();
    expect(server.connections).toBe(2);
    expect(calls).toEqual(["pause"]);
    expect(logger.at("warning")).toEqual(["worker_connections (2) reached; not accepting new connections until some finish"]);
    a.reset();
    expect(server.connections).toBe(1);
    expect(calls).toEqual(["pause", "resume"]);
  });

  test("a connection that arrives at the cap is parked unread, then served when a slot frees", async () => {
    const { server, gate, connect } = setup(1);
    const a = connect();
    const b = connect();
    expect(b.paused).toBe(true);
    expect(b.destroyed).toBe(false);
    expect(server.connections).toBe(1);
    expect(gate.parkedCount).toBe(1);
    b.send(GET("/early")); // a runtime may deliver a chunk already in flight
    b.peerEnd(); // and the client may half-close while it waits
    expect(b.text()).toBe("");
    a.reset();
    expect(gate.parkedCount).toBe(0);
    expect(server.connections).toBe(1);
    expect(b.paused).toBe(false);
    await settle();
    expect(b.text()).toContain("GET /early");
  });

  test("parked connections are admitted in arrival order; a parked one that closes is forgotten", async () => {
    const { gate, connect, calls } = setup(1);
    const a = connect();
    const b = connect();
    const c = connect();
    const d = connect();
    expect(gate.parkedCount).toBe(3);
    c.reset(); // the client gave up while waiting
    expect(gate.parkedCount).toBe(2);
    a.reset();
    expect(b.paused).toBe(false);
    expect(d.paused).toBe(true);
    expect(calls).toEqual(["pause"]); // still at the cap: no resume
    b.reset();
    expect(d.paused).toBe(false);
    d.reset();
    expect(calls).toEqual(["pause", "resume"]);
  });

  test("beyond maxParked a connection is closed, logged once", () => {
    const { gate, connect, logger } = setup(1, 1);
    connect();
    connect();
    const third = connect();
    const fourth = connect();
    expect(gate.parkedCount).toBe(1);
    expect([third.destroyed, fourth.destroyed]).toEqual([true, true]);
    expect(logger.at("warning").filter((m) => m.includes("connections waiting (backlog)"))).toHaveLength(1);
  });

  test("release (shutdown) serves every parked connection and admits later arrivals", async () => {
    const { server, gate, connect } = setup(1);
    connect();
    const b = connect();
    const c = connect();
    server.closeIdle();
    gate.release();
    expect(gate.parkedCount).toBe(0);
    expect([b.paused, c.paused]).toEqual([false, false]);
    const late = connect();
    expect(late.paused).toBe(false);
    expect(server.connections).toBe(4);
    b.send(GET("/b"));
    await settle();
    expect(b.text()).toMatch(/Connection: close/i);
  });

  test("a listener added while paused starts paused", () => {
    const { gate, connect } = setup(1);
    connect();
    const { listener, calls } = fakeListener();
    gate.watch(listener);
    expect(calls).toEqual(["pause"]);
  });
});
