import { describe, expect, it } from "vitest";
import { EMPTY_BODY, IncomingBody, type BodyOwner } from "../../core/server/body.ts";

const enc = new TextEncoder();

function owner() {
  const calls = { wanted: 0, drained: 0 };
  const o: BodyOwner = {
    bodyWanted: () => void calls.wanted++,
    bodyDrained: () => void calls.drained++,
  };
  return { o, calls };
}

describe("EMPTY_BODY", () => {
  it("is empty everywhere", async () => {
    expect(EMPTY_BODY.empty).toBe(true);
    expect(await EMPTY_BODY.read()).toBeNull();
    expect((await EMPTY_BODY.bytes()).length).toBe(0);
    expect(await EMPTY_BODY.text()).toBe("");
    expect((await EMPTY_BODY.arrayBuffer()).byteLength).toBe(0);
    const seen: Uint8Array[] = [];
    for await (const c of EMPTY_BODY) seen.push(c);
    expect(seen.length).toBe(0);
  });
});

describe("IncomingBody", () => {
  it("delivers queued and later chunks in order, then null", async () => {
    const { o } = owner();
    const body = new IncomingBody(o);
    body.push(enc.encode("ab"));
    const first = await body.read();
    expect(new TextDecoder().decode(first!)).toBe("ab");
    const pending = body.read();
    body.push(enc.encode("cd"));
    expect(new TextDecoder().decode((await pending)!)).toBe("cd");
    const end = body.read();
    body.finish();
    expect(await end).toBeNull();
    expect(await body.read()).toBeNull();
  });

  it("serves several outstanding reads in order", async () => {
    const body = new IncomingBody(owner().o);
    const a = body.read();
    const b = body.read();
    body.push(enc.encode("1"));
    body.push(enc.encode("2"));
    body.finish();
    expect([await a, await b].map((c) => new TextDecoder().decode(c!))).toEqual(["1", "2"]);
  });

  it("asks for 100-continue on the first read only", async () => {
    const { o, calls } = owner();
    const body = new IncomingBody(o);
    body.push(enc.encode("x"));
    await body.read();
    body.finish();
    await body.read();
    expect(calls.wanted).toBe(1);
  });

  it("reports full above the high-water mark and drained below half of it", async () => {
    const { o, calls } = owner();
    const body = new IncomingBody(o, 10);
    expect(body.push(new Uint8Array(6))).toBe(true);
    expect(body.push(new Uint8Array(6))).toBe(false);
    expect(body.buffered).toBe(12);
    await body.read(); // 6 left > 5
    expect(calls.drained).toBe(0);
    await body.read();
    expect(calls.drained).toBe(1);
  });

  it("whole-body helpers concatenate", async () => {
    const body = new IncomingBody(owner().o);
    body.push(enc.encode("hé"));
    body.push(enc.encode("llo"));
    body.finish();
    expect(await body.text()).toBe("héllo");
    const again = new IncomingBody(owner().o);
    again.push(enc.encode("abc"));
    again.finish();
    const ab = await again.arrayBuffer();
    expect(ab.byteLength).toBe(3);
  });

  it("arrayBuffer never exposes bytes outside the body", async () => {
    const backing = enc.encode("HEADbodyNEXT");
    const body = new IncomingBody(owner().o);
    body.push(backing.subarray(4, 8));
    body.finish();
    const ab = await body.arrayBuffer();
    expect(new TextDecoder().decode(ab)).toBe("body");
  });

  it("iterates with for await", async () => {
    const body = new IncomingBody(owner().o);
    body.push(enc.encode("a"));
    setTimeout(() => {
      body.push(enc.encode("b"));
      body.finish();
    }, 1);
    const parts: string[] = [];
    for await (const c of body) parts.push(new TextDecoder().decode(c));
    expect(parts).toEqual(["a", "b"]);
  });

  it("fail() rejects pending and later reads", async () => {
    const body = new IncomingBody(owner().o);
    const pending = body.read();
    body.fail(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");
    await expect(body.read()).rejects.toThrow("gone");
    await expect(body.text()).rejects.toThrow("gone");
  });

  it("discard() drops data and ends reads", async () => {
    const body = new IncomingBody(owner().o);
    body.push(enc.encode("queued"));
    body.discard();
    expect(body.buffered).toBe(0);
    expect(body.push(enc.encode("more"))).toBe(true);
    expect(body.received).toBe(10);
    expect(await body.read()).toBeNull();
  });
});
