/**
 * runtimes/node/socket.ts on a unix path that holds a socket nobody accepts
 * on. Outside a cluster worker (the master's probe bind, a lone process) that
 * file is stale and is replaced. In a cluster worker it is left alone: there
 * the master has already cleared the path, and a refused probe means another
 * worker's shared socket is bound but not yet listening — unlinking it made
 * the live socket unreachable (nginx answered 502 in CI).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";

const cluster = vi.hoisted(() => ({ isWorker: false }));
vi.mock("node:cluster", () => ({ default: cluster }));

const { listen } = await import("../../runtimes/node/socket.ts");

const dirs: string[] = [];
afterEach(() => {
  cluster.isWorker = false;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A socket file at a fresh path whose listener died without unlinking it (SIGKILL). */
function staleSocket(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-unix-"));
  dirs.push(dir);
  const socketPath = path.join(dir, "s.sock");
  const script = `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`;
  spawnSync(process.execPath, ["-e", script], { timeout: 10_000 });
  expect(fs.lstatSync(socketPath).isSocket()).toBe(true);
  return socketPath;
}

const options = { backlog: 16, reusePort: false };
const acceptor = () => ({ onData() {}, onEnd() {}, onClose() {}, onDrain() {}, onError() {} }) as never;

describe("node listen on a unix path with a refusing socket file", () => {
  test("outside a cluster worker the stale file is replaced and the bind succeeds", async () => {
    const socketPath = staleSocket();
    const listener = await listen({ kind: "unix", path: socketPath }, acceptor, options);
    expect(listener.url).toBe(`unix:${socketPath}`);
    await listener.close();
  });

  test("a cluster worker leaves the file alone (the bind fails instead of unlinking it)", async () => {
    const socketPath = staleSocket();
    const inode = fs.statSync(socketPath).ino;
    cluster.isWorker = true;
    // Under a mocked cluster the listen binds in this process, so the untouched file makes it fail.
    await expect(listen({ kind: "unix", path: socketPath }, acceptor, options)).rejects.toThrow(/EADDRINUSE/);
    expect(fs.statSync(socketPath).ino).toBe(inode);
  });
});
