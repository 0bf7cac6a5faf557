/**
 * `--reload` watching (core/arbiter/reloader.ts) over a fake directory tree: which
 * directories are watched, which changes count, and the debounce.
 *
 *   node_modules/.bin/vitest run test/unit/reloader.test.ts
 */
import { describe, expect, test } from "vitest";
import { RELOAD_DEBOUNCE_MS, startReloader } from "../../core/arbiter/reloader.ts";
import { FakeTimers, MemoryLogger } from "./fake-socket.ts";

/** A directory tree: directory path → entries (a trailing `/` marks a directory). */
function fakeTree(tree: Record<string, string[]>) {
  const timers = new FakeTimers();
  const listeners = new Map<string, (name: string | null) => void>();
  const rt = {
    timers,
    cwd: () => "/app",
    isDirectory: (path: string) => Object.hasOwn(tree, path),
    listDirectory: (path: string) => (tree[path] ?? []).map((e) => ({ name: e.replace(/\/$/, ""), directory: e.endsWith("/") })),
    watchDirectory(path: string, onChange: (name: string | null) => void) {
      listeners.set(path, onChange);
      return { close: () => void listeners.delete(path) };
    },
  };
  /** Simulate a change of `name` inside watched directory `dir`. */
  const touch = (dir: string, name: string | null) => listeners.get(dir)?.(name);
  return { rt, timers, listeners, touch, tree };
}

describe("startReloader", () => {
  test("watches the tree but not node_modules or dot-directories", () => {
    const f = fakeTree({
      "/app": ["src/", "node_modules/", ".git/", "app.js"],
      "/app/src": ["lib/", "a.ts"],
      "/app/src/lib": [],
      "/app/node_modules": ["x/"],
      "/app/.git": [],
    });
    const reloader = startReloader({ rt: f.rt, roots: ["/app"], extra: [], logger: new MemoryLogger(), onChange() {} });
    expect([...f.listeners.keys()].sort()).toEqual(["/app", "/app/src", "/app/src/lib"]);
    expect(reloader.watched).toBe(3);
    reloader.close();
    expect(f.listeners.size).toBe(0);
  });

  test("source changes reload once after a quiet period; other files do not", () => {
    const f = fakeTree({ "/app": ["src/"], "/app/src": [] });
    const changes: string[] = [];
    startReloader({ rt: f.rt, roots: ["/app"], extra: [], logger: new MemoryLogger(), onChange: (p) => void changes.push(p) });
    f.touch("/app", "access.log");
    f.touch("/app", ".app.js.swp");
    f.touch("/app", null);
    f.timers.advance(RELOAD_DEBOUNCE_MS * 2);
    expect(changes).toEqual([]);
    f.touch("/app/src", "a.ts");
    f.timers.advance(RELOAD_DEBOUNCE_MS - 10);
    f.touch("/app", "app.js"); // an editor's second event restarts the wait
    f.timers.advance(RELOAD_DEBOUNCE_MS - 10);
    expect(changes).toEqual([]);
    f.timers.advance(10);
    expect(changes).toEqual(["/app/app.js"]);
  });

  test("a new directory is watched from then on", () => {
    const f = fakeTree({ "/app": [] });
    const changes: string[] = [];
    startReloader({ rt: f.rt, roots: ["/app"], extra: [], logger: new MemoryLogger(), onChange: (p) => void changes.push(p), debounceMs: 5 });
    f.tree["/app/routes"] = [];
    f.touch("/app", "routes");
    expect(f.listeners.has("/app/routes")).toBe(true);
    f.timers.advance(10);
    expect(changes).toEqual([]);
    f.touch("/app/routes", "users.js");
    f.timers.advance(10);
    expect(changes).toEqual(["/app/routes/users.js"]);
  });

  test("extra files count whatever their extension; extra directories count every file", () => {
    const f = fakeTree({ "/app": [], "/etc/site": [], "/app/templates": [] });
    const changes: string[] = [];
    startReloader({
      rt: f.rt,
      roots: ["/app"],
      extra: ["/etc/site/settings.toml", "templates", "notes.txt"],
      logger: new MemoryLogger(),
      onChange: (p) => void changes.push(p),
      debounceMs: 5,
    });
    f.touch("/etc/site", "other.toml");
    f.timers.advance(10);
    expect(changes).toEqual([]);
    f.touch("/etc/site", "settings.toml");
    f.timers.advance(10);
    f.touch("/app/templates", "index.html");
    f.timers.advance(10);
    f.touch("/app", "notes.txt"); // relative to the working directory, inside the watched tree
    f.timers.advance(10);
    f.touch("/app", "readme.txt");
    f.timers.advance(10);
    expect(changes).toEqual(["/etc/site/settings.toml", "/app/templates/index.html", "/app/notes.txt"]);
  });

  test("nothing fires after close", () => {
    const f = fakeTree({ "/app": [] });
    const changes: string[] = [];
    const reloader = startReloader({ rt: f.rt, roots: ["/app"], extra: [], logger: new MemoryLogger(), onChange: (p) => void changes.push(p) });
    const listener = f.listeners.get("/app")!;
    listener("a.js");
    reloader.close();
    f.timers.advance(RELOAD_DEBOUNCE_MS * 2);
    listener("b.js");
    f.timers.advance(RELOAD_DEBOUNCE_MS * 2);
    expect(changes).toEqual([]);
  });
});
