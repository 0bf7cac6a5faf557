/**
 * A tricorn config file: settings by their gunicorn names, plus server
 * hooks. tricorn reads ./tricorn.config.{ts,js,mjs,json} on its own, or the
 * file given with -c:
 *
 *   cd examples/config && node ../../dist/node.js app.js
 *   node dist/node.js -c examples/config/tricorn.config.js examples/config/app.js
 *   deno run -A runtimes/deno/main.ts -c examples/config/tricorn.config.js examples/config/app.js
 *   bun runtimes/bun/main.ts -c examples/config/tricorn.config.js examples/config/app.js
 *
 * Command-line options still win (`-w 4` overrides `workers` below).
 * Hooks run in the master process; these just print what happens.
 */
export default {
  workers: 2,
  bind: ["127.0.0.1:8000"],
  // One access log line per request on stdout.
  accesslog: "-",
  access_log_format: '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
  // Environment for the app (like `-e GREETING=...`).
  raw_env: ["GREETING=Hello from the config file"],

  on_starting(server) {
    console.log(`[hook] on_starting: master pid ${server.pid}`);
  },
  post_fork(server, worker) {
    console.log(`[hook] post_fork: worker ${worker.id} has pid ${worker.pid}`);
  },
  when_ready(server) {
    console.log(`[hook] when_ready: ${server.workers().length} workers serving`);
  },
  worker_exit(server, worker) {
    console.log(`[hook] worker_exit: worker ${worker.id} (pid ${worker.pid})`);
  },
  on_exit(server) {
    console.log(`[hook] on_exit: master pid ${server.pid}`);
  },
};
