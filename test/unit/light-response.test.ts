/**
 * The fetch adapter's paths for adapters/light-response.ts responses (the
 * class is used directly here; workers install it as the global Response):
 * untouched ones go out from their fields synchronously, materialized ones
 * with their kept body when nobody read it, and the wire bytes equal those of
 * the runtime's own Response in every case.
 */
import { describe, expect, it } from "vitest";
import { fetchHandler, type FetchFunction } from "../../adapters/fetch.ts";
import { LightResponse } from "../../adapters/light-response.ts";
import { makeServer } from "./connection-helpers.ts";
import { settle } from "./fake-socket.ts";

const Light = LightResponse as unknown as typeof Response;
const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/** What `app` (given the Response class) puts on the wire for one GET, and whether the handler returned a Promise. */
async function wire(app: (R: typeof Response) => Response | Promise<Response>): Promise<{ text: string; sync: boolean }> {
  let sync = false;
  const handler = fetchHandler(() => app(currentClass));
  let currentClass: typeof Response = Response;
  const run = async (R: typeof Response) => {
    currentClass = R;
    const { connect } = makeServer((req, res) => {
      const result = handler(req, res);
      sync = result === undefined;
      return result;
    });
    const socket = connect();
    socket.send(GET);
    await settle();
    return socket.text().replace(/\r\nDate: [^\r]*/, "");
  };
  const real = await run(Response);
  const light = await run(Light);
  expect(light).toBe(real);
  return { text: light, sync };
}

describe("fetch adapter with light responses", () => {
  it("sends an untouched light response from its fields, synchronously", async () => {
    const r = await wire((R) => new R("hello", { status: 201, statusText: "Made", headers: { "X-A": "1" } }));
    expect(r.sync).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 201 Made\r\n/);
    expect(r.text).toContain("\r\nx-a: 1\r\n");
    expect(r.text.endsWith("\r\n\r\nhello")).toBe(true);
  });

  it("bytes, ArrayBuffer, null and Response.json bodies", async () => {
    for (const make of [
      (R: typeof Response) => new R(new Uint8Array([104, 105])),
      (R: typeof Response) => new R(new Uint8Array([104, 105]).buffer),
      (R: typeof Response) => new R(null, { status: 204 }),
      (R: typeof Response) => R.json({ a: [1] }),
    ]) {
      const r = await wire(make);
      expect(r.sync).toBe(true);
    }
  });

  it("a materialized response (headers changed by middleware) goes out with its kept body, unread", async () => {
    let made: Response | undefined;
    const r = await wire((R) => {
      const res = new R("kept", { headers: { "content-type": "text/x-kept" } });
      res.headers.set("x-mw", "1");
      made = res;
      return res;
    });
    expect(r.text).toContain("\r\nx-mw: 1\r\n");
    expect(r.text.endsWith("\r\n\r\nkept")).toBe(true);
    // The kept body was sent: the response's own stream was never read.
    expect(made!.bodyUsed).toBe(false);
  });

  it("a response whose body the app already read behaves as the runtime's does", async () => {
    await wire(async (R) => {
      const res = new R("gone");
      await res.text();
      return res;
    });
  });

  it("non-light bodies (streams, Blobs) and Response.error/redirect go through the runtime's response", async () => {
    for (const make of [
      (R: typeof Response) => new R(new Blob(["blob"])),
      (R: typeof Response) => new R(new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("s")), c.close()) })),
      (R: typeof Response) => R.redirect("http://example.com/", 302),
      (R: typeof Response) => R.error(),
    ] satisfies ((R: typeof Response) => Response)[]) {
      await wire(make as unknown as FetchFunction extends never ? never : (R: typeof Response) => Response);
    }
  });
});
