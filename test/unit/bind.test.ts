import { describe, expect, test } from "vitest";
import {
  BindError, bindErrorReason, clearStaleUnixSocket, formatBind, listenerUrl, parseBind, type UnixSocketProbe,
} from "../../core/bind.ts";

describe("parseBind", () => {
  test.each([
    ["127.0.0.1:8000", { kind: "tcp", host: "127.0.0.1", port: 8000 }],
    ["localhost", { kind: "tcp", host: "localhost", port: 8000 }],
    ["Example.COM:80", { kind: "tcp", host: "example.com", port: 80 }],
    [":9000", { kind: "tcp", host: "0.0.0.0", port: 9000 }],
    ["0.0.0.0:0", { kind: "tcp", host: "0.0.0.0", port: 0 }],
    ["[::1]:8080", { kind: "tcp", host: "::1", port: 8080 }],
    ["[::]", { kind: "tcp", host: "::", port: 8000 }],
    ["[fe80::1%eth0]:1", { kind: "tcp", host: "fe80::1%eth0", port: 1 }],
    ["tcp://10.0.0.1:65535", { kind: "tcp", host: "10.0.0.1", port: 65535 }],
    ["unix:/tmp/app.sock", { kind: "unix", path: "/tmp/app.sock" }],
    ["unix:///tmp/app.sock", { kind: "unix", path: "/tmp/app.sock" }],
    ["unix:relative.sock", { kind: "unix", path: "relative.sock" }],
    ["fd://3", { kind: "fd", fd: 3 }],
  ])("%s", (value, expected) => {
    expect(parseBind(value)).toEqual(expected);
  });

  test.each([
    ["x:99999", 'invalid bind "x:99999": port must be 0-65535'],
    ["127.0.0.1:", `invalid bind "127.0.0.1:": missing port after ':'`],
    ["127.0.0.1:http", 'invalid bind "127.0.0.1:http": port "http" is not a number'],
    ["127.0.0.1:-1", 'invalid bind "127.0.0.1:-1": port "-1" is not a number'],
    ["::1", 'invalid bind "::1": IPv6 addresses need brackets, e.g. [::1]:8000'],
    ["[::1", `invalid bind "[::1": missing ']' after IPv6 address`],
    ["[]:80", 'invalid bind "[]:80": "" is not a valid IPv6 address'],
    ["[nothex]:80", 'invalid bind "[nothex]:80": "nothex" is not a valid IPv6 address'],
    ["[::1]x", `invalid bind "[::1]x": unexpected "x" after ']'`],
    ["300.1.1.1:80", 'invalid bind "300.1.1.1:80": 300.1.1.1 is not a valid IPv4 address'],
    ["bad host:80", 'invalid bind "bad host:80": "bad host" is not a valid host name'],
    ["unix:", `invalid bind "unix:": missing socket path after 'unix:'`],
    ["fd://x", 'invalid bind "fd://x": "x" is not a file descriptor number'],
    ["http://localhost:80", 'invalid bind "http://localhost:80": unsupported scheme (use HOST:PORT, unix:PATH or fd://N)'],
    ["", 'invalid bind "": empty address'],
  ])("rejects %j", (value, message) => {
    expect(() => parseBind(value)).toThrow(BindError);
    expect(() => parseBind(value)).toThrow(message);
  });
});

describe("formatBind / listenerUrl", () => {
  test("round-trips through parseBind", () => {
    for (const value of ["127.0.0.1:8000", "[::1]:80", "unix:/tmp/x.sock", "fd://4"]) {
      expect(formatBind(parseBind(value))).toBe(value);
    }
  });

  test("URL uses the actual port and brackets IPv6", () => {
    expect(listenerUrl(parseBind("127.0.0.1:0"), 41234)).toBe("http://127.0.0.1:41234");
    expect(listenerUrl(parseBind("[::1]:80"))).toBe("http://[::1]:80");
    expect(listenerUrl(parseBind("unix:/tmp/x.sock"))).toBe("unix:/tmp/x.sock");
  });
});

describe("bindErrorReason", () => {
  test.each([
    [Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:80"), { code: "EADDRINUSE" }), "address already in use"],
    [Object.assign(new Error("Address already in use (os error 98)"), { name: "AddrInUse" }), "address already in use"],
    [Object.assign(new Error("Failed to listen at 10.9.9.9"), { code: "EADDRNOTAVAIL" }), "address not available on this machine"],
    [Object.assign(new Error("x"), { code: "EACCES" }), "permission denied"],
    [new Error("something odd\nmore detail"), "something odd"],
    ["plain string", "plain string"],
  ])("%#", (error, reason) => {
    expect(bindErrorReason(error)).toBe(reason);
  });
});

describe("clearStaleUnixSocket", () => {
  function fakeProbe(kind: "missing" | "socket" | "other", accepting: boolean) {
    const removed: string[] = [];
    const probe: UnixSocketProbe = { kind: () => kind, accepting: async () => accepting, remove: (p) => void removed.push(p) };
    return { probe, removed };
  }

  test("removes a socket nobody accepts on", async () => {
    const { probe, removed } = fakeProbe("socket", false);
    await clearStaleUnixSocket("/tmp/a.sock", probe);
    expect(removed).toEqual(["/tmp/a.sock"]);
  });

  test("leaves a live socket and a missing path alone", async () => {
    for (const [kind, accepting] of [["socket", true], ["missing", false]] as const) {
      const { probe, removed } = fakeProbe(kind, accepting);
      await clearStaleUnixSocket("/tmp/a.sock", probe);
      expect(removed).toEqual([]);
    }
  });

  test("refuses to touch a regular file", async () => {
    const { probe, removed } = fakeProbe("other", false);
    await expect(clearStaleUnixSocket("/tmp/a.sock", probe)).rejects.toThrow("/tmp/a.sock exists and is not a socket");
    expect(removed).toEqual([]);
  });
});
