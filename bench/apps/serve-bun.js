/**
 * Native Bun baseline: `Bun.serve` running the app file's `fetch`.
 * Usage: `bun serve-bun.js APP PORT [WORKERS]`; with WORKERS > 1 it spawns that
 * many copies of itself sharing the port through `reusePort` (SO_REUSEPORT).
 */
import { resolve } from "node:path";

const [appPath, port, workersArg] = Bun.argv.slice(2);
const workers = Number(workersArg ?? 1);

if (workers > 1) {
  const children = Array.from({ length: workers }, () =>
    Bun.spawn([process.execPath, import.meta.path, appPath, port, "1"], { stdio: ["ignore", "inherit", "inherit"] }),
  );
  // Reap the children before exiting, so none is left as an orphaned zombie.
  const stop = async () => {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => child.exited));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  const app = (await import(resolve(appPath))).default;
  Bun.serve({ port: Number(port), hostname: "127.0.0.1", reusePort: true, fetch: app.fetch.bind(app) });
}
