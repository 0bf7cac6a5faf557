/**
 * The `light_response` setting end to end: the worker installs the light
 * global Response by default and not with --no-light-response, and the wire
 * bytes are the same either way (fast path, materialized responses, statics).
 * The class itself is proven against the runtime's own by the fetch contract
 * suite (test/neutral/fetch-contract-cases.ts).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, dump, useServer } from "./conformance-helpers.ts";
import { exchange, req } from "./raw-client.ts";

const APP = fileURLToPath(new URL("../fixtures/light-response-app.js", import.meta.url));
const PATHS = ["/bytes", "/json", "/touched", "/redirect", "/error", "/missing"];

describe.each(CONFORMANCE_RUNTIMES)("light_response [%s]", (runtime) => {
  const light = useServer(runtime, [], APP);
  const real = useServer(runtime, ["--no-light-response"], APP);

  test("installed by default, not with --no-light-response", async () => {
    const a = await exchange(light.port, req("GET", "/which"), { until: 1 });
    const b = await exchange(real.port, req("GET", "/which"), { until: 1 });
    expect(a.finals[0]?.text, dump(a)).toBe("light");
    expect(b.finals[0]?.text, dump(b)).toBe("real");
  });

  test("the same status lines, headers and bodies either way", async () => {
    const payload = PATHS.map((p) => req("GET", p)).join("");
    const a = await exchange(light.port, payload, { until: PATHS.length });
    const b = await exchange(real.port, payload, { until: PATHS.length });
    const wire = (r: typeof a) =>
      r.finals.map((res) => [res.status, res.reason, res.headers.filter(([n]) => n.toLowerCase() !== "date"), res.text]);
    expect(wire(a), dump(a)).toEqual(wire(b));
    expect(a.finals.map((res) => res.status), dump(a)).toEqual([201, 200, 200, 307, 500, 404]);
  });
});
