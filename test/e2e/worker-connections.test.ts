/**
 * `--worker-connections` on Node, Deno and Bun: a worker at its cap stops
 * accepting instead of resetting, so a new connection is served by a sibling
 * worker with room, or waits (in the listen queue, or held unread where the
 * runtime cannot stop accepting) until a slot frees. No connection is reset.
 *
 * The fixture answers `v1 PID`, so the test knows which worker holds which
 * connection. Held connections are idle keep-alive connections; the
 * keep-alive timeout is long, so slots free only when the test closes them.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, startServersPerTest, until, type RunningServer } from "./harness.ts";
import { RawConnection, sleep } from "./raw-client.ts";

const APP = path.join(ROOT, "test/fixtures/faults-app.js");
const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const GET_CLOSE = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
/** How long a connection must stay unanswered (and open) to count as waiting. */
const WAITING_MS = 1000;

/** Status and body (`v1 PID`) of the first response on `conn`, or null if none within `ms`. */
async function firstResponse(conn: RawConnection, ms: number): Promise<{ status: number; pid: number } | null> {
  const parsed = await conn.waitForResponses(1, ms);
  const response = parsed.finals[0];
  if (response === undefined) return null;
  const pid = /^v1 (\d+)/.exec(response.text)?.[1];
  return { status: response.status, pid: Number(pid) };
}

/** Wait until `n` workers reported booted (debug log), so every worker listens. */
async function workersBooted(server: RunningServer, n: number): Promise<void> {
  await until(() => (server.stderr().match(/Worker \(pid:\d+\) booted/g) ?? []).length >= n, () => `${n} booted workers\n${server.stderr()}`, 30_000);
}

/**
 * With one slot held by an idle keep-alive connection, a second connection is
 * not answered and not closed; once the first closes it gets its 200.
 * `logged`: the core engine logs reaching the cap.
 */
async function waitsForTheSlot(server: RunningServer, logged = true): Promise<void> {
  const holder = await RawConnection.open(server.port);
  let waiting: RawConnection | null = null;
  try {
    await holder.write(GET);
    expect((await firstResponse(holder, 5_000))?.status).toBe(200);
    waiting = await RawConnection.open(server.port); // the kernel completes the handshake
    await waiting.write(GET);
    await sleep(WAITING_MS);
    expect(waiting.receivedLength, "answered while the only slot was taken").toBe(0);
    expect(waiting.closed, `closed while waiting (${waiting.error ?? "FIN"})`).toBe(false);
    holder.destroy();
    const served = await firstResponse(waiting, 10_000);
    expect(served?.status, `not served after the slot freed\n${server.stderr()}`).toBe(200);
    expect(waiting.error).toBeUndefined();
    if (logged) await until(() => server.stderr().includes("worker_connections (1) reached; not accepting"), "the worker_connections log line", 10_000);
  } finally {
    holder.destroy();
    waiting?.destroy();
  }
}

const FULL_ARGS = ["-w", "2", "--worker-connections", "2", "--keep-alive", "60", "--log-level", "debug"];

/**
 * Fill one worker of `server` (-w 2, worker_connections 2) with idle
 * keep-alive connections, then open six more. `shared`: the workers accept
 * from one socket, so the sibling must take all six while the full worker is
 * full. `own-queue`: a connection may be bound to the full worker (its own
 * SO_REUSEPORT queue, or dealt to it by Node's round-robin master) and waits
 * for it. Either way every one is served once the full worker frees its
 * slots, and none is reset.
 */
async function oneWorkerFull(server: RunningServer, sharing: "shared" | "own-queue"): Promise<void> {
  await workersBooted(server, 2);
  // Open keep-alive connections one at a time until one worker holds two of them: it is full.
  const held: { conn: RawConnection; pid: number }[] = [];
  const fresh: RawConnection[] = [];
  try {
    let full = 0;
    for (let i = 0; i < 20 && full === 0; i++) {
      const conn = await RawConnection.open(server.port);
      await conn.write(GET);
      const answer = await firstResponse(conn, 5_000);
      expect(answer?.status, `filling: connection ${i} not served\n${server.stderr()}`).toBe(200);
      held.push({ conn, pid: answer!.pid });
      if (held.filter((h) => h.pid === answer!.pid).length === 2) full = answer!.pid;
    }
    expect(full, "no worker got two of 20 connections").not.toBe(0);
    // The sibling gets its room back: only the full worker keeps connections.
    for (const h of held) if (h.pid !== full) h.conn.destroy();
    await sleep(200);

    for (let i = 0; i < 6; i++) fresh.push(await RawConnection.open(server.port));
    await Promise.all(fresh.map((conn) => conn.write(GET_CLOSE)));
    // Everything the sibling can take is served while the full worker stays full.
    if (sharing === "shared") await until(() => fresh.every((conn) => conn.parse().finals.length > 0), () => `the sibling to answer all\n${server.stderr()}`, 10_000);
    else await sleep(WAITING_MS);
    const early = await Promise.all(fresh.map((conn) => firstResponse(conn, 10)));
    for (const [i, conn] of fresh.entries()) {
      if (early[i] === null) expect(conn.closed, `connection ${i} closed unanswered (${conn.error ?? "FIN"})\n${server.stderr()}`).toBe(false);
      else expect(early[i]!.pid, "a connection answered by the full worker while it was full").not.toBe(full);
    }
    if (sharing === "shared") {
      // One shared listening socket: the full worker stops accepting, the sibling takes every connection.
      expect(early.map((r) => r?.status ?? "waiting")).toEqual(Array(6).fill(200));
    }
    // Free the full worker: what waited for it (its own listen queue, or held unread) is served now.
    for (const h of held) h.conn.destroy();
    const late = await Promise.all(fresh.map((conn) => firstResponse(conn, 10_000)));
    expect(late.map((r) => r?.status ?? "none"), server.stderr()).toEqual(Array(6).fill(200));
    for (const conn of fresh) expect(conn.error, "a connection was reset").toBeUndefined();
    console.log(`[worker-connections] ${sharing}: ${early.filter((r) => r !== null).length} of 6 served by the sibling while one worker was full (full ${full}, held ${held.map((h) => h.pid)}, late ${late.map((r) => r?.pid)})`);
  } finally {
    for (const h of held) h.conn.destroy();
    for (const conn of fresh) conn.destroy();
  }
}

describe.each(TESTED_RUNTIMES)("worker_connections [%s]", (runtime) => {
  const start = startServersPerTest();

  test("-w 1 at the cap: a new connection waits, not reset, and is served once a slot frees", async () => {
    await waitsForTheSlot(await start({ runtime, app: APP, args: ["--worker-connections", "1", "--keep-alive", "60"] }));
  }, 60_000);

  if (runtime === "node") {
    test("--engine native, -w 1 at the cap: a new connection waits, not reset, and is served once a slot frees", async () => {
      await waitsForTheSlot(await start({ runtime, app: APP, args: ["--engine", "native", "--worker-connections", "1", "--keep-alive", "60"] }), false);
    }, 60_000);
  }

  test("-w 2, one worker full: new connections are all served (by the sibling, or once a slot frees), none reset", async () => {
    await oneWorkerFull(await start({ runtime, app: APP, args: FULL_ARGS }), runtime === "node" ? "shared" : "own-queue");
  }, 90_000);

  if (runtime === "node") {
    test("-w 2, round-robin cluster scheduling: the full worker holds what it is dealt until a slot frees, none reset", async () => {
      const server = await start({ runtime, app: APP, args: FULL_ARGS, env: { NODE_CLUSTER_SCHED_POLICY: "rr" } });
      await oneWorkerFull(server, "own-queue");
    }, 90_000);
  }
});
