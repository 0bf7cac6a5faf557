/**
 * The `light_response` setting end to end: the worker installs the light
 * global Response by default and not with --no-light-response, and the wire
 * bytes are the same either way (fast path, materialized responses, statics),
 * and the server never changes the app's Response. With `--engine native`
 * it is installed on Node only, whose node:http sends through tricorn's
 * fetch adapter; Deno's and Bun's serve take the runtime's own Response.
 * The class itself is proven against the runtime's own by the fetch contract
 * suite (test/neutral/fetch-contract-cases.ts).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, dump, useServer } from "./conformance-helpers.ts";
import { exchange, req } from "./raw-client.ts";

const APP = fileURLToPath(new URL("../fixtures/light-response-app.js", import.meta.url));
const PATHS = ["/bytes", "/json", "/touched", "/redirect", "/error", "/missing"];

/** Status, reason, headers (without Date) and body of each response: what must not depend on the Response class. */
function wire(r: Awaited<ReturnType<typeof exchange>>) {
  return r.finals.map((res) => [res.status, res.reason, res.headers.filter(([n]) => n.toLowerCase() !== "date"), res.text]);
}

const ENGINES = [
  { engine: "core", args: [] as string[] },
  { engine: "native", args: ["--engine", "native"] },
];

describe.each(CONFORMANCE_RUNTIMES)("light_response [%s]", (runtime) => {
  describe.each(ENGINES)("--engine $engine", ({ engine, args }) => {
    const light = useServer(runtime, args, APP);
    const real = useServer(runtime, [...args, "--no-light-response"], APP);
    // Node's native server (node:http) sends through the fetch adapter; Deno's and Bun's serve need their own Response.
    const installed = engine === "core" || runtime === "node";

    test(`${installed ? "installed" : "not installed"} by default, not with --no-light-response`, async () => {
      const a = await exchange(light.port, req("GET", "/which"), { until: 1 });
      const b = await exchange(real.port, req("GET", "/which"), { until: 1 });
      expect(a.finals[0]?.text, dump(a)).toBe(installed ? "light" : "real");
      expect(b.finals[0]?.text, dump(b)).toBe("real");
    });

    test("the same status lines, headers and bodies either way", async () => {
      const payload = PATHS.map((p) => req("GET", p)).join("");
      const a = await exchange(light.port, payload, { until: PATHS.length });
      const b = await exchange(real.port, payload, { until: PATHS.length });
      expect(wire(a), dump(a)).toEqual(wire(b));
      expect(a.finals.map((res) => res.status), dump(a)).toEqual([201, 200, 200, 307, 500, 404]);
    });
  });
});

describe.each(CONFORMANCE_RUNTIMES)("a light Response answered twice is not changed by the server [%s]", (runtime) => {
  // Node's native engine sends light responses too; Deno's and Bun's serve get real ones (one use each).
  const servers = runtime === "node" ? [useServer(runtime, [], APP), useServer(runtime, ["--engine", "native", "--keep-alive", "0"], APP)] : [useServer(runtime, [], APP)];

  test("same bytes both times; the app still sees only its own headers", async () => {
    for (const server of servers) {
      const first = await exchange(server.port, req("GET", "/shared"), { until: 1 });
      const second = await exchange(server.port, req("GET", "/shared"), { until: 1 });
      expect(wire(second), dump(second)).toEqual(wire(first));
      expect(first.finals[0]?.text, dump(first)).toBe("shared");
      expect(first.finals[0]?.headers.filter(([n]) => /^(content-length|connection)$/i.test(n)).length, dump(first)).toBeGreaterThan(0);
      const seen = await exchange(server.port, req("GET", "/shared-headers"), { until: 1 });
      const { shared, fresh } = JSON.parse(seen.finals[0]?.text ?? "{}") as { shared: unknown; fresh: unknown };
      expect(shared, dump(seen)).toEqual(fresh);
    }
  });
});
