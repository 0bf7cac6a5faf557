/**
 * The settings reference in Markdown, derived from the settings table
 * (core/config/settings.ts) like `--help`, so docs cannot drift from the code.
 */
import { SECTIONS, SETTING_ENTRIES } from "./settings.ts";
import type { SettingDef } from "./settings.ts";

function flagsOf(def: SettingDef<unknown>): string {
  const flags = def.flags.map((flag) => `\`${flag}${def.type === "bool" ? "" : ` ${def.metavar}`}\``);
  if (def.type === "bool" && def.negatable) {
    const long = def.flags.find((flag) => flag.startsWith("--")) as string;
    flags.push(`\`--no-${long.slice(2)}\``);
  }
  return flags.join(", ");
}

/** How settings are given; placed before the reference. */
const INTRO = `Generated from core/config/settings.ts by \`npm run docs:settings\` (do not edit by hand);
\`tricorn --help\` shows the same.

Every setting can be given on the command line, in a config file (under its
name, e.g. \`workers\`), in \`$TRICORN_CMD_ARGS\` (command-line syntax) and,
where listed, in its own environment variable. Later wins:

    defaults < environment variables < config file < $TRICORN_CMD_ARGS < command line

\`tricorn --print-config APP\` prints the result, one \`name = value\` per line.

## Writing a config file

\`-c FILE\`, or else the first of \`tricorn.config.ts\`, \`tricorn.config.js\`,
\`tricorn.config.mjs\`, \`tricorn.config.json\` found in the working directory. A
JS/TS module exports an object of settings as its default export (or the
settings as named exports); JSON holds the same object, without hooks. Values
are checked like command-line values: a wrong value or an unknown name stops
tricorn with one line naming the file, the setting and the value (exit 2).
\`tricorn --check-config APP\` checks settings, config file and app without
serving.

\`\`\`js
// tricorn.config.js
export default {
  workers: 4,
  bind: ["0.0.0.0:8000"],
  accesslog: "-",
  on_starting(server) {
    console.log("starting, master pid", server.pid);
  },
};
\`\`\`

Server hooks (gunicorn's names; all run in the master, since workers are
spawned rather than forked): \`on_starting(server)\`, \`on_reload(server)\`,
\`when_ready(server)\`, \`pre_fork(server, worker)\`, \`post_fork(server, worker)\`,
\`worker_exit(server, worker)\`, \`nworkers_changed(server, new, old)\`,
\`on_exit(server)\`. \`server\` is the arbiter (\`pid\`, \`workers()\`, \`numWorkers\`);
\`worker\` has \`id\`, \`pid\`, \`generation\`, \`booted\`. A hook that throws is logged.
On HUP the master reads the config file again; new workers get the new
settings (the binds stay). Not supported: \`preload_app\` (workers load the app
themselves), worker classes and threads, per-request and worker-side hooks,
\`capture_output\`.

## Access log format

Off unless \`accesslog\` is set. \`access_log_format\` uses gunicorn's atoms,
written \`%(NAME)s\`:

| atom | value |
| --- | --- |
| \`h\` | remote address |
| \`l\` | \`-\` |
| \`u\` | user name of HTTP Basic authentication, else \`-\` |
| \`t\` | time the response was done, \`[10/Oct/2000:13:55:36 -0700]\` |
| \`r\` | request line, \`GET /path?query HTTP/1.1\` |
| \`s\` | status |
| \`m\`, \`U\`, \`q\`, \`H\` | method, path, query string, protocol |
| \`b\`, \`B\` | response body bytes sent |
| \`f\`, \`a\` | Referer, User-Agent |
| \`T\`, \`M\`, \`D\` | request time in whole seconds, milliseconds, microseconds |
| \`L\` | request time in decimal seconds (\`0.001234\`) |
| \`p\` | \`<pid>\` of the worker |
| \`{name}i\`, \`{name}o\` | request header, response header \`name\` |

Unknown atoms and \`{name}e\` print \`-\`. Client-supplied text is escaped (\`\\"\`,
\`\\\\\`, \`\\xHH\`). With \`access_log_json\` each line is a JSON object with one
field per atom of the format: \`remote_addr\`, \`ident\`, \`user\`, \`time\` (ISO 8601,
UTC), \`request\`, \`status\`, \`method\`, \`path\`, \`query\`, \`protocol\`, \`bytes\`,
\`referer\`, \`user_agent\`, \`request_time_s\`, \`request_time_ms\`,
\`request_time_us\`, \`request_time\`, \`pid\`, and \`request_headers\` /
\`response_headers\` objects; \`-\` becomes \`null\`.

Log lines are buffered and written every few milliseconds (and at exit).
\`kill -USR1 <master pid>\` reopens the error and access logs in the master and
every worker, after logrotate moved them. (Deno >= 2.9.2 also opens its
debugger on 127.0.0.1:9229 when a process gets SIGUSR1; on Deno, HUP reopens
the logs too, together with a graceful reload.)
`;

/** Markdown reference of every setting, grouped by section, in `--help` order. */
export function renderSettingsMarkdown(): string {
  const out: string[] = ["# Settings", "", INTRO];
  for (const section of SECTIONS) {
    out.push(`## ${section}`, "");
    for (const [name, def] of SETTING_ENTRIES) {
      if (def.section !== section) continue;
      out.push(`### ${name}`, "", def.doc, "");
      out.push(`- flags: ${flagsOf(def)}`);
      if (def.type !== "bool" || def.negatable) out.push(`- default: \`${def.showDefault(def.default)}\``);
      if (def.env.length > 0) out.push(`- environment: ${def.env.map((v) => `\`${v}\``).join(", ")}`);
      if (def.choices) out.push(`- one of: ${def.choices.map((c) => `\`${c}\``).join(", ")}`);
      out.push("");
    }
  }
  return out.join("\n");
}
