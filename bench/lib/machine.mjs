/** Machine facts and tool versions recorded with every benchmark run. */
import { readFileSync } from "node:fs";
import os from "node:os";
import { commandOutput } from "./procs.mjs";
import { nginxBinary } from "./servers.mjs";

/** Describes the host: CPU count and model, kernel, memory, load. */
export function machineFacts() {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    nproc: Number(commandOutput("nproc", [])) || os.cpus().length,
    cpuModel,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Versions of every runtime and tool involved (empty string when absent). */
export function toolVersions(bins) {
  const first = (s) => s.split("\n")[0].trim();
  const gunicorn = first(commandOutput("python3", ["-m", "gunicorn", "--version"]));
  const nginxBin = nginxBinary();
  const nginx = nginxBin ? first(commandOutput(nginxBin, ["-v"])) : "";
  return {
    node: process.version.replace(/^v/, ""),
    deno: first(commandOutput(bins.deno, ["--version"])).replace(/^deno /, ""),
    bun: first(commandOutput(bins.bun, ["--version"])),
    wrk: first(commandOutput("wrk", ["-v"])).replace(/^wrk /, "").replace(/\s+Copyright.*/, ""),
    hono: readVersion(bins.root, "hono"),
    "@hono/node-server": readVersion(bins.root, "@hono/node-server"),
    gunicorn: /gunicorn \(version/.test(gunicorn) ? gunicorn.replace(/^gunicorn \(version (.*)\)$/, "$1") : "",
    nginx: /nginx version/.test(nginx) ? nginx.replace(/^nginx version: nginx\//, "") : "",
  };
}

function readVersion(root, pkg) {
  try {
    return JSON.parse(readFileSync(`${root}/node_modules/${pkg}/package.json`, "utf8")).version;
  } catch {
    return "";
  }
}
