/**
 * core/net/unix-handover.ts on an in-memory file system: a successor renames
 * its socket over the path; the predecessor lingers, then closes without
 * removing the path it no longer owns; a lone worker removes its own path.
 */
import { describe, expect, test } from "vitest";
import { bindUnixSocket, closeUnixSocket, HANDOVER_LINGER_MS, type UnixPathOps } from "../../core/net/unix-handover.ts";
import type { UnixSocketProbe } from "../../core/net/bind.ts";

/** Paths → inode numbers; binding creates a new inode. */
function memoryFs() {
  const files = new Map<string, number>();
  let next = 100;
  const ops: UnixPathOps & UnixSocketProbe = {
    inode: (path) => files.get(path) ?? null,
    rename(from, to) {
      const inode = files.get(from);
      if (inode === undefined) throw new Error(`ENOENT ${from}`);
      files.delete(from);
      files.set(to, inode);
    },
    remove: (path) => void files.delete(path),
    kind: (path) => (files.has(path) ? "socket" : path === "/run" ? "other" : "missing"),
    accepting: async () => false,
  };
  const bindAt = (path: string) => {
    files.set(path, next++);
    return { path, closed: false };
  };
  return { files, ops, bindAt };
}

const discard = (listener: { closed: boolean }) => void (listener.closed = true);

describe("unix socket handover", () => {
  test("a successor takes the path; the predecessor lingers and leaves the path alone", async () => {
    const { files, ops, bindAt } = memoryFs();
    const old = await bindUnixSocket({ path: "/run/app.sock", replace: true }, "1", ops, bindAt, discard);
    expect(old.listener.path).toBe("/run/app.sock.1.new");
    expect(files.get("/run/app.sock")).toBe(old.inode);
    const successor = await bindUnixSocket({ path: "/run/app.sock", replace: true }, "2", ops, bindAt, discard);
    expect(files.get("/run/app.sock")).toBe(successor.inode);
    expect([...files.keys()]).toEqual(["/run/app.sock"]);
    const waits: number[] = [];
    let closed = false;
    await closeUnixSocket("/run/app.sock", old.inode, ops, () => void (closed = true), async (ms) => void waits.push(ms));
    expect([waits, closed, files.get("/run/app.sock")]).toEqual([[HANDOVER_LINGER_MS], true, successor.inode]);
    await closeUnixSocket("/run/app.sock", successor.inode, ops, () => {}, async (ms) => void waits.push(ms));
    expect(files.size).toBe(0);
    expect(waits).toEqual([HANDOVER_LINGER_MS]);
  });

  test("without replace: bound at the path (stale file cleared), removed on close", async () => {
    const { files, ops, bindAt } = memoryFs();
    files.set("/run/app.sock", 1);
    const bound = await bindUnixSocket({ path: "/run/app.sock" }, "1", ops, bindAt, discard);
    expect(bound.listener.path).toBe("/run/app.sock");
    expect(files.get("/run/app.sock")).toBe(bound.inode);
    await closeUnixSocket("/run/app.sock", bound.inode, ops, () => {}, async () => {});
    expect(files.size).toBe(0);
  });

  test("a failed rename discards the new listener and its temporary path", async () => {
    const { files, ops, bindAt } = memoryFs();
    const failing = { ...ops, rename: () => { throw new Error("EXDEV"); } };
    let discarded = false;
    await expect(bindUnixSocket({ path: "/run/app.sock", replace: true }, "1", failing, bindAt, () => void (discarded = true))).rejects.toThrow("EXDEV");
    expect([discarded, files.size]).toEqual([true, 0]);
  });
});
