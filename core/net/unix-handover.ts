/**
 * Handing a unix socket path from one worker to its successor without a gap
 * (Deno and Bun, where each worker binds its own socket and only one can sit
 * at the path). The successor binds a socket beside the path and renames it
 * over the path: the rename is atomic, so every connect() finds a listening
 * socket, either the old one or the new one. The predecessor keeps its socket
 * (now without a name): it accepts what was queued on it before the rename,
 * then closes without removing the path, which is no longer its. This needs
 * read and write access to the socket's directory; a runtime that may lack
 * them (Deno's permissions) does not hand over then.
 */
import { clearStaleUnixSocket, type UnixSocketProbe } from "./bind.ts";

/** What the handover needs of the file system (runtimes/{deno,bun}/socket.ts). */
export interface UnixPathOps {
  /** The inode number of what is at `path` (lstat), or null when nothing is. */
  inode(path: string): number | null;
  /** rename(2): atomically replaces what is at `to`. */
  rename(from: string, to: string): void;
  /** Remove `path`; nothing when it is missing. */
  remove(path: string): void;
}

/**
 * After a successor took the path, how long the predecessor still accepts on
 * its socket before closing it: only connections queued before the rename can
 * arrive there, and the worker accepts them within milliseconds.
 */
export const HANDOVER_LINGER_MS = 250;

/**
 * Where a successor binds before the rename: beside `path` (the same
 * directory, so the rename stays within one file system), unique per process
 * through `token`. A leftover from a crashed attempt is removed first.
 */
export function handoverTempPath(path: string, token: string, ops: UnixPathOps): string {
  const temp = `${path}.${token}.new`;
  ops.remove(temp);
  return temp;
}

/**
 * Rename the socket just bound at `temp` over `path` (replacing a
 * predecessor's, or a stale file); returns its inode, which
 * {@link releasePath} checks later. Throws what rename throws.
 */
export function takeOverPath(temp: string, path: string, ops: UnixPathOps): number | null {
  const inode = ops.inode(temp);
  try {
    ops.rename(temp, path);
  } catch (error) {
    ops.remove(temp);
    throw error;
  }
  return inode;
}

/** Whether `path` still names the socket with `inode` (null inode: unknown, assume so). */
export function ownsPath(path: string, inode: number | null, ops: UnixPathOps): boolean {
  return inode === null || ops.inode(path) === inode;
}

/**
 * Closing a listener bound at `path` with `inode`: remove the path only while
 * it still names this socket — a successor's socket is left alone. With the
 * inode unknown (no read access) the path is removed, as without a handover.
 */
export function releasePath(path: string, inode: number | null, ops: UnixPathOps): void {
  if (inode === null || ops.inode(path) === inode) ops.remove(path);
}

/**
 * Bind the unix socket of `bind` with `bindAt`: with `bind.replace` beside
 * the path and renamed over it (see the module comment), otherwise at the
 * path after removing a stale socket file (core/net/bind.ts). Returns the
 * listener and the inode it holds the path with; `discard` closes a listener
 * whose rename failed.
 */
export async function bindUnixSocket<L>(
  bind: { path: string; replace?: boolean },
  token: string,
  ops: UnixPathOps & UnixSocketProbe,
  bindAt: (path: string) => L,
  discard: (listener: L) => void,
): Promise<{ listener: L; inode: number | null }> {
  if (!bind.replace) {
    await clearStaleUnixSocket(bind.path, ops);
    const listener = bindAt(bind.path);
    return { listener, inode: ops.inode(bind.path) };
  }
  const temp = handoverTempPath(bind.path, token, ops);
  const listener = bindAt(temp);
  try {
    return { listener, inode: takeOverPath(temp, bind.path, ops) };
  } catch (error) {
    discard(listener);
    throw error;
  }
}

/**
 * Close a unix listener bound at `path` with `inode`. If a successor took the
 * path, accept on for {@link HANDOVER_LINGER_MS} first (`wait` resolves after
 * a delay), so connections queued before the rename are served, not reset.
 * The path is removed only while it is still this socket's.
 */
export async function closeUnixSocket(path: string, inode: number | null, ops: UnixPathOps, close: () => void, wait: (ms: number) => Promise<void>): Promise<void> {
  if (!ownsPath(path, inode, ops)) await wait(HANDOVER_LINGER_MS);
  close();
  releasePath(path, inode, ops);
}
