/**
 * adapters/static-body.ts on Node (undici): string and byte bodies are read
 * without their stream, and never once the body was touched.
 */
import { describe, expect, it } from "vitest";
import { staticBody } from "../../adapters/static-body.ts";

describe("staticBody (Node/undici)", () => {
  it("returns the string or bytes a Response was made from", () => {
    expect(staticBody(new Response("hello", { headers: { "x-a": "1" } }))).toBe("hello");
    expect(staticBody(new Response(new Uint8Array([1, 2, 3])))).toEqual(new Uint8Array([1, 2, 3]));
    expect(new TextDecoder().decode(staticBody(Response.json({ a: 1 })) as Uint8Array)).toBe('{"a":1}');
  });

  it("returns undefined for stream, Blob and null bodies", () => {
    expect(staticBody(new Response(new ReadableStream()))).toBeUndefined();
    expect(staticBody(new Response(new Blob(["x"])))).toBeUndefined();
    expect(staticBody(new Response(null))).toBeUndefined();
  });

  it("returns undefined once the body was read or its stream is held", async () => {
    const read = new Response("hello");
    await read.text();
    expect(staticBody(read)).toBeUndefined();
    const held = new Response("hello");
    held.body!.getReader();
    expect(staticBody(held)).toBeUndefined();
  });
});
