/**
 * tricorn's layers and the directions imports may take, checked by
 * dependency-cruiser in `npm test` (scripts/test.mjs; docs/architecture.md
 * draws the same picture).
 *
 * LAYERS lists the folders bottom to top: a folder may import itself and
 * the folders listed BEFORE it, never one listed after it. On top of that:
 * no import cycles anywhere (type-only imports count: swc parses them with
 * tsPreCompilationDeps), core/ and adapters/ use no runtime API (no node:*
 * builtins, no npm packages), and the arbiter talks to workers only
 * through the process/IPC interfaces (it never imports the app adapters or
 * the worker boot code).
 */
const LAYERS = [
  ["runtime", "core/runtime", "contracts a runtime implements: timers, sockets, platform services (types and constants)"],
  ["http", "core/http", "HTTP/1.1 wire format: parser, serializer, status, dates, errors"],
  ["ws", "core/ws", "WebSocket wire format (RFC 6455/7692)"],
  ["net", "core/net", "bind addresses, IP matching, forwarded headers, PROXY protocol, TLS options, listen contract"],
  ["log", "core/log", "error log, access log, log writers and files, start-up log"],
  ["config", "core/config", "settings table, CLI, config files, settings docs, app spec, start-up errors"],
  ["server", "core/server", "connections, exchanges, request bodies, timeouts, listeners, environ, native-engine contract"],
  ["adapters", "adapters", "app interfaces: fetch, gateway, native glue, detection"],
  ["arbiter", "core/arbiter", "master loop, worker records, process/IPC interfaces, worker-side control"],
  ["worker", "core/worker", "booting one serving process: app, handler, server, listeners, stop"],
  ["command", "core/command", "the tricorn command: settings → master or worker; the Runtime aggregate"],
  ["runtimes", "runtimes", "Node, Deno and Bun glue and entry points"],
];

const folder = (path) => `^${path}/`;

/** One rule per layer: nothing below it imports it. */
const upward = LAYERS.slice(0, -1).map(([name, path, what], i) => ({
  name: `layer-${name}`,
  comment: `${path}/ (${what}) may import only the layers listed before it in .dependency-cruiser.cjs`,
  severity: "error",
  from: { path: folder(path) },
  to: { path: LAYERS.slice(i + 1).map(([, above]) => folder(above)) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "import cycles make the layers meaningless (type-only imports included)",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: "arbiter-not-app",
      comment: "the arbiter reaches workers only through the process/IPC interfaces, never the app adapters",
      severity: "error",
      from: { path: folder("core/arbiter") },
      to: { path: folder("adapters") },
    },
    {
      name: "core-no-runtime-api",
      comment: "core/ and adapters/ are pure TypeScript: no node:* builtins and no packages",
      severity: "error",
      from: { path: ["^core/", "^adapters/"] },
      to: { dependencyTypes: ["core", "npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown", "unknown"] },
    },
  ],
  options: {
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["^dist/", "^node_modules/"] },
  },
};
