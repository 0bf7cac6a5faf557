/**
 * The benchmark matrix: every server (tricorn on each runtime, the runtimes'
 * own servers, optional peers) with the app it runs, the scenarios measured
 * against it and the native baseline its ratio is computed against.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandWorks, controlSocketArgs } from "./procs.mjs";

/** App files (relative to the repo root) by app id. */
export const APPS = {
  gateway: { file: "bench/apps/gateway-hello.js", label: "gateway hello" },
  fetch: { file: "bench/apps/fetch-hello.js", label: "fetch hello" },
  hono: { file: "bench/apps/hono-app.js", label: "Hono app" },
  express: { file: "bench/apps/express-app.js", label: "Express app" },
  fastify: { file: "bench/apps/fastify-app.js", label: "Fastify app" },
  listener: { file: "bench/apps/node-hello.js", label: "(req, res) hello" },
  wsgi: { file: "bench/apps/wsgi_hello.py", label: "WSGI hello" },
  static: { file: "(nginx.conf)", label: "return 200" },
};

/** What one measured run sends. */
export const SCENARIOS = {
  plain: { path: "/", script: "bench/lib/report.lua", label: "GET /" },
  json: { path: "/json", script: "bench/lib/report.lua", label: "GET /json" },
  pipelined: { path: "/", script: "bench/pipeline.lua", label: "GET / ×16 pipelined" },
};

const RUNTIME_LABEL = { node: "Node", deno: "Deno", bun: "Bun", python: "Python", nginx: "nginx" };

/**
 * @typedef {object} ServerDef
 * @property {string} id            unique id, also the key in benchmarks.json
 * @property {string} name          display name of the server software
 * @property {"node"|"deno"|"bun"|"python"|"nginx"} runtime
 * @property {"tricorn"|"native"|"peer"} kind
 * @property {keyof APPS} app
 * @property {number} workers
 * @property {string[]} scenarios   keys of SCENARIOS
 * @property {string|null} baseline id of the native server the ratio compares against
 * @property {(port:number) => string[]} argv  command line (run from the repo root)
 * @property {Record<string,string>} [env]
 * @property {string} [appLabel]    overrides APPS[app].label when the server inlines its handler
 * @property {string} [appFile]     overrides APPS[app].file likewise
 * @property {"native"} [engine]    tricorn rows only: `--engine native` (default: the core engine)
 * @property {string} [ceiling]     id of a server that bounds this one from above (Deno: the bare
 *                                  Deno.Conn loop); the report shows the ratio to it as well
 */

/**
 * The command line of one tricorn server on runtime `rt` (node, deno or bun),
 * bound to 127.0.0.1:`port`, then `rest`. Each gets its own control socket:
 * the servers run side by side from the repository root.
 * @param {{node:string, deno:string, bun:string}} bins
 * @param {"node"|"deno"|"bun"} rt
 * @param {number} port
 * @param {string[]} rest
 */
export function tricornCommand(bins, rt, port, rest) {
  const entry = { node: [bins.node, "dist/node.js"], deno: [bins.deno, "run", "-A", "runtimes/deno/main.ts"], bun: [bins.bun, "runtimes/bun/main.ts"] }[rt];
  return [...entry, "-b", `127.0.0.1:${port}`, ...controlSocketArgs(port), ...rest];
}

/**
 * Builds the full server list for `root` with the given binaries.
 * @param {{root:string, node:string, deno:string, bun:string}} bins
 * @returns {ServerDef[]}
 */
export function serverCatalogue(bins) {
  const list = [];
  const tricornEntry = {
    node: (port, w, app) => tricornCommand(bins, "node", port, [...workersFlag(w), APPS[app].file]),
    deno: (port, w, app) => tricornCommand(bins, "deno", port, [...workersFlag(w), APPS[app].file]),
    bun: (port, w, app) => tricornCommand(bins, "bun", port, [...workersFlag(w), APPS[app].file]),
  };
  const nativeHello = { node: "node-http-gateway", deno: "deno-serve-fetch", bun: "bun-serve-fetch" };
  const nativeFetch = { node: "node-server-fetch", deno: "deno-serve-fetch", bun: "bun-serve-fetch" };
  const nativeHono = { node: "node-server-hono", deno: "deno-serve-hono", bun: "bun-serve-hono" };

  for (const rt of ["node", "deno", "bun"]) {
    const t = (app, scenarios, baseline, workers = 1) => ({
      id: `tricorn-${rt}-${app}${workers > 1 ? `-w${workers}` : ""}`,
      name: "tricorn",
      runtime: rt,
      kind: "tricorn",
      app,
      workers,
      scenarios,
      baseline,
      argv: (port) => tricornEntry[rt](port, workers, app),
    });
    // On Deno every server built on Deno.Conn is bounded by a bare read/write loop (docs/performance.md).
    const ceiling = rt === "deno" ? { ceiling: "deno-conn-loop" } : {};
    list.push({ ...t("gateway", ["plain", "pipelined"], nativeHello[rt]), ...ceiling });
    list.push({ ...t("fetch", ["plain"], nativeFetch[rt]), ...ceiling });
    list.push({ ...t("hono", ["plain", "json"], nativeHono[rt]), ...ceiling });
    list.push(t("gateway", ["plain"], `${nativeHello[rt]}-w2`, 2));
    // Node-style apps (node interface) against the same app on the runtime's node:http.
    for (const app of ["express", "fastify"]) list.push(t(app, ["plain", "json"], `${rt}-http-${app}`));
    // The node:http hello handler itself: on Node against node:http running the identical inline handler.
    list.push(t("listener", ["plain"], rt === "node" ? "node-http-gateway" : `${rt}-http-listener`));
    // The same fetch app through the runtime's own HTTP server (docs/architecture.md#engines).
    list.push({
      ...t("fetch", ["plain"], nativeFetch[rt]),
      id: `tricorn-${rt}-fetch-native`,
      engine: "native",
      argv: (port) => [...tricornEntry[rt](port, 1, "fetch").slice(0, -1), "--engine", "native", APPS.fetch.file],
    });
  }

  // Node's own servers.
  const nodeHttp = (workers) => ({
    id: `node-http-gateway${workers > 1 ? "-w2" : ""}`,
    name: workers > 1 ? "node:http + cluster" : "node:http",
    runtime: "node",
    kind: "native",
    app: "gateway",
    appLabel: "hello (inline handler)",
    appFile: "bench/apps/serve-node-http.mjs",
    workers,
    scenarios: workers > 1 ? ["plain"] : ["plain", "pipelined"],
    baseline: null,
    argv: (port) => [bins.node, "bench/apps/serve-node-http.mjs", String(port), String(workers)],
  });
  list.push(nodeHttp(1), nodeHttp(2));
  for (const app of ["fetch", "hono"]) {
    list.push({
      id: `node-server-${app}`,
      name: "@hono/node-server",
      runtime: "node",
      kind: "native",
      app,
      workers: 1,
      scenarios: app === "hono" ? ["plain", "json"] : ["plain"],
      baseline: null,
      argv: (port) => [bins.node, "bench/apps/serve-node-hono.mjs", APPS[app].file, String(port)],
    });
  }

  // Express and Fastify on each runtime's own node:http (Node's, Deno's and Bun's compatibility layers).
  const runNode = { node: [bins.node], deno: [bins.deno, "run", "-A"], bun: [bins.bun] };
  for (const rt of ["node", "deno", "bun"]) {
    for (const app of rt === "node" ? ["express", "fastify"] : ["express", "fastify", "listener"]) {
      list.push({
        id: `${rt}-http-${app}`,
        name: rt === "node" ? "node:http" : `${RUNTIME_LABEL[rt]} node:http`,
        runtime: rt,
        kind: "native",
        app,
        workers: 1,
        scenarios: app === "listener" ? ["plain"] : ["plain", "json"],
        baseline: null,
        argv: (port) => [...runNode[rt], "bench/apps/serve-node-app.mjs", APPS[app].file, String(port)],
      });
    }
  }

  // Deno.serve and Bun.serve.
  for (const app of ["fetch", "hono"]) {
    const scenarios = app === "hono" ? ["plain", "json"] : ["plain", "pipelined"];
    list.push({
      id: `deno-serve-${app}`,
      name: "Deno.serve",
      runtime: "deno",
      kind: "native",
      app,
      workers: 1,
      scenarios,
      baseline: null,
      argv: (port) => [bins.deno, "run", "-A", "bench/apps/serve-deno.js", APPS[app].file, String(port)],
    });
    list.push({
      id: `bun-serve-${app}`,
      name: "Bun.serve",
      runtime: "bun",
      kind: "native",
      app,
      workers: 1,
      scenarios,
      baseline: null,
      argv: (port) => [bins.bun, "bench/apps/serve-bun.js", APPS[app].file, String(port)],
    });
  }
  list.push({
    id: "deno-conn-loop",
    name: "Deno.Conn loop",
    runtime: "deno",
    kind: "native",
    app: "gateway",
    appLabel: "bare read/write loop",
    appFile: "bench/apps/serve-deno-conn.js",
    workers: 1,
    scenarios: ["plain", "pipelined"],
    baseline: null,
    argv: (port) => [bins.deno, "run", "-A", "bench/apps/serve-deno-conn.js", String(port)],
  });
  list.push({
    id: "deno-serve-fetch-w2",
    name: "deno serve --parallel",
    runtime: "deno",
    kind: "native",
    app: "fetch",
    workers: 2,
    scenarios: ["plain"],
    baseline: null,
    env: { DENO_JOBS: "2" },
    argv: (port) => [bins.deno, "serve", "-A", "--parallel", "--host", "127.0.0.1", "--port", String(port), APPS.fetch.file],
  });
  list.push({
    id: "bun-serve-fetch-w2",
    name: "Bun.serve ×2 reusePort",
    runtime: "bun",
    kind: "native",
    app: "fetch",
    workers: 2,
    scenarios: ["plain"],
    baseline: null,
    argv: (port) => [bins.bun, "bench/apps/serve-bun.js", APPS.fetch.file, String(port), "2"],
  });

  // Optional peers.
  list.push({
    id: "gunicorn-sync",
    name: "gunicorn (sync)",
    runtime: "python",
    kind: "peer",
    app: "wsgi",
    workers: 1,
    scenarios: ["plain"],
    baseline: null,
    argv: (port) => ["python3", "-m", "gunicorn", "-k", "sync", "-w", "1", "-b", `127.0.0.1:${port}`, "--chdir", "bench/apps", "wsgi_hello:app"],
  });
  list.push({
    id: "nginx-return",
    name: "nginx",
    runtime: "nginx",
    kind: "peer",
    app: "static",
    workers: 1,
    scenarios: ["plain", "pipelined"],
    baseline: null,
    argv: (port) => {
      const dir = nginxConfig(port);
      return [nginxBinary() ?? "nginx", "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")];
    },
  });
  return list;
}

/** Always explicit, so WEB_CONCURRENCY / TRICORN_WORKERS in the environment cannot change the count. */
function workersFlag(workers) {
  return ["-w", String(workers)];
}

/** `nginx` from PATH, else /usr/sbin/nginx (often not on a user's PATH), else null. */
export function nginxBinary() {
  if (commandWorks("nginx", ["-v"])) return "nginx";
  if (existsSync("/usr/sbin/nginx") && commandWorks("/usr/sbin/nginx", ["-v"])) return "/usr/sbin/nginx";
  return null;
}

let nginxDir = null;

/** Writes a throwaway nginx prefix directory (removed at exit) with a `return 200` config on `port`. */
function nginxConfig(port) {
  if (!nginxDir) {
    const dir = mkdtempSync(join(tmpdir(), "tricorn-bench-nginx-"));
    nginxDir = dir;
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  const dir = nginxDir;
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 "Hello, World!";
    }
  }
}
`,
  );
  return dir;
}

/** Display label of a server row, e.g. `tricorn (Deno)`, `Bun.serve`. */
export function serverLabel(def) {
  const engine = def.engine === "native" ? " --engine native" : "";
  const base = def.kind === "tricorn" ? `tricorn (${RUNTIME_LABEL[def.runtime]})${engine}` : def.name;
  return def.workers > 1 && def.kind === "tricorn" ? `${base} -w ${def.workers}` : base;
}

/** Runtime display name. */
export function runtimeLabel(rt) {
  return RUNTIME_LABEL[rt] ?? rt;
}

/**
 * Why a server cannot run here (missing entry point, binary or module), or
 * null when it can. Checked once per run; results are cached by the caller.
 */
export function unavailableReason(def, root, bins) {
  if (def.kind === "tricorn") {
    const entry = { node: "dist/node.js", deno: "runtimes/deno/main.ts", bun: "runtimes/bun/main.ts" }[def.runtime];
    if (!existsSync(join(root, entry))) return `${entry} not found (tricorn on ${RUNTIME_LABEL[def.runtime]} not built yet)`;
  }
  if (def.runtime === "deno" && !existsSync(bins.deno)) return `${bins.deno} not found`;
  if (def.runtime === "bun" && !existsSync(bins.bun)) return `${bins.bun} not found`;
  if (def.id === "gunicorn-sync" && !commandWorks("python3", ["-m", "gunicorn", "--version"])) {
    return "gunicorn not installed (python3 -m gunicorn failed)";
  }
  if (def.id === "nginx-return" && !nginxBinary()) return "nginx binary not found";
  return null;
}
