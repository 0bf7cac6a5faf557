/**
 * A client that goes away (FIN or reset) while its streamed response is being
 * produced: on the core engine `request.signal` aborts for fetch apps and
 * `environ["tricorn.on_close"]` listeners run for gateway apps, so the app can
 * stop producing for nobody. On Node, Deno and Bun.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, WAIT_MS, connDump, useServer } from "./conformance-helpers.ts";
import { until } from "./harness.ts";
import { RawConnection } from "./raw-client.ts";

const APP = "test/fixtures/abort-app.js";

describe.each(CONFORMANCE_RUNTIMES)("client gone mid-response [%s]", (runtime) => {
  const fetchServer = useServer(runtime, [], `${APP}:fetchApp`);
  const gatewayServer = useServer(runtime, ["--interface", "gateway"], `${APP}:gatewayApp`);

  /** Starts a streamed response, waits for its first ticks, then leaves by FIN (`end`) or reset. */
  async function leaveMidStream(port: number, id: string, how: "fin" | "reset"): Promise<void> {
    const c = await RawConnection.open(port);
    try {
      await c.write(`GET /stream?id=${id} HTTP/1.1\r\nHost: test\r\n\r\n`);
      const ticking = await c.waitFor(() => c.received.includes("tick 1"), WAIT_MS);
      expect(ticking, connDump(c)).toBe(true);
      if (how === "fin") c.endWrite();
      else c.destroy();
    } finally {
      if (how === "fin") await c.waitForClose(WAIT_MS);
      c.destroy();
    }
  }

  test.concurrent.each(["fin", "reset"] as const)("fetch app: request.signal aborts on client %s and the stream stops", async (how) => {
    const id = `fetch-${how}`;
    await leaveMidStream(fetchServer.port, id, how);
    await until(() => fetchServer.stderr().includes(`signal aborted id=${id}`), () => `signal abort for ${id}\n${fetchServer.stderr()}`, 10_000);
    await until(() => fetchServer.stderr().includes(`stream stopped id=${id}`), () => `stream stop for ${id}\n${fetchServer.stderr()}`, 10_000);
  });

  test.concurrent.each(["fin", "reset"] as const)("gateway app: tricorn.on_close runs on client %s and the generator stops", async (how) => {
    const id = `gateway-${how}`;
    await leaveMidStream(gatewayServer.port, id, how);
    await until(() => gatewayServer.stderr().includes(`on_close id=${id}`), () => `on_close for ${id}\n${gatewayServer.stderr()}`, 10_000);
    await until(() => gatewayServer.stderr().includes(`generator stopped id=${id}`), () => `generator stop for ${id}\n${gatewayServer.stderr()}`, 10_000);
  });
});
