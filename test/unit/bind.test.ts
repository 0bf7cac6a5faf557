import { describe, expect, test } from "vitest";
import { BindError, bindErrorReason, clearStaleUnixSocket, describeBindFailure, describeFileFailure, formatBind, listenerUrl, parseBind, type UnixSocketProbe } from "../../core/net/bind.ts";

/** The accepted forms, appended to parse errors that do not name a fix themselves. */
const FORMS = " (expected HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N)";

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("did not throw");
}

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
    ["127.0.0.1:", `invalid bind "127.0.0.1:": missing port after ':'` + FORMS],
    ["127.0.0.1:http", 'invalid bind "127.0.0.1:http": port "http" is not a number' + FORMS],
    ["127.0.0.1:-1", 'invalid bind "127.0.0.1:-1": port "-1" is not a number' + FORMS],
    ["::1", 'invalid bind "::1": IPv6 addresses need brackets, e.g. [::1]:8000'],
    ["[::1", `invalid bind "[::1": missing ']' after IPv6 address` + FORMS],
    ["[]:80", 'invalid bind "[]:80": "" is not a valid IPv6 address' + FORMS],
    ["[nothex]:80", 'invalid bind "[nothex]:80": "nothex" is not a valid IPv6 address' + FORMS],
    ["[::1]x", `invalid bind "[::1]x": unexpected "x" after ']'` + FORMS],
    ["300.1.1.1:80", 'invalid bind "300.1.1.1:80": 300.1.1.1 is not a valid IPv4 address' + FORMS],
    ["bad host:80", 'invalid bind "bad host:80": "bad host" is not a valid host name' + FORMS],
    ["unix:", `invalid bind "unix:": missing socket path after 'unix:'` + FORMS],
    ["fd://x", 'invalid bind "fd://x": "x" is not a file descriptor number' + FORMS],
    ["http://localhost:80", 'invalid bind "http://localhost:80": unsupported scheme (use HOST:PORT, unix:PATH or fd://N)'],
    ["", 'invalid bind "": empty address' + FORMS],
  ])("rejects %j", (value, message) => {
    expect(() => parseBind(value)).toThrow(BindError);
    expect(messageOf(() => parseBind(value))).toBe(message);
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

describe("describeBindFailure", () => {
  const code = (name: string) => Object.assign(new Error(`listen ${name}`), { code: name });
  test.each([
    ["127.0.0.1:80", code("EADDRINUSE"), "address already in use; is another server running there? choose another address with -b"],
    ["127.0.0.1:80", code("EACCES"), "permission denied; choose a port this user may bind (ports below 1024 need privileges)"],
    ["unix:/run/a.sock", code("EACCES"), "permission denied; choose a socket path in a directory this user may write"],
    ["192.0.2.1:80", Object.assign(new Error("x"), { name: "AddrNotAvailable" }), "address not available on this machine; bind 0.0.0.0 or one of this host's addresses"],
    ["nowhere.invalid:80", code("ENOTFOUND"), "host name not found; check the host name, or bind an IP address"],
    ["fd://9", code("EBADF"), "not an open file descriptor; fd://N must name a listening socket this process inherited"],
    ["unix:/x", new BindError("/x exists and is not a socket; remove it or choose another path"), "/x exists and is not a socket; remove it or choose another path"],
    ["127.0.0.1:80", new Error("something odd\nmore"), "something odd"],
  ])("%s %#", (bind, error, line) => {
    expect(describeBindFailure(parseBind(bind), error)).toBe(line);
  });
});

describe("describeFileFailure", () => {
  test.each([
    ["/var/log/x/a.log", Object.assign(new Error("ENOENT"), { code: "ENOENT" }), "no such file or directory; create /var/log/x first or choose another path"],
    ["/root/a.pid", Object.assign(new Error("x"), { name: "PermissionDenied" }), "permission denied; choose a path this user may write"],
    ["/tmp", Object.assign(new Error("x"), { code: "EISDIR" }), "is a directory; name a file, not a directory"],
    ["/dev/full", Object.assign(new Error("x"), { code: "ENOSPC" }), "x"],
  ])("%s %#", (file, error, line) => {
    expect(describeFileFailure(file, error)).toBe(line);
  });
});

describe("clearStaleUnixSocket", () => {
  /** A probe over a fake file system: `/tmp` is a directory, `/tmp/a.sock` is `kind`. */
  function fakeProbe(kind: "missing" | "socket" | "other", accepting: boolean) {
    const removed: string[] = [];
    const files: Record<string, "socket" | "other"> = { "/": "other", "/tmp": "other" };
    if (kind !== "missing") files["/tmp/a.sock"] = kind;
    const probe: UnixSocketProbe = { kind: (p) => files[p] ?? "missing", accepting: async () => accepting, remove: (p) => void removed.push(p) };
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
    await expect(clearStaleUnixSocket("/tmp/a.sock", probe)).rejects.toThrow(
      new BindError("/tmp/a.sock exists and is not a socket; remove it or choose another path"),
    );
    expect(removed).toEqual([]);
  });

  test("names a directory that does not exist (Node would say permission denied)", async () => {
    const { probe } = fakeProbe("missing", false);
    await expect(clearStaleUnixSocket("/tmp/gone/a.sock", probe)).rejects.toThrow(
      new BindError("directory /tmp/gone does not exist; create it or choose another socket path"),
    );
    await expect(clearStaleUnixSocket("/b.sock", probe)).resolves.toBeUndefined();
  });
});
