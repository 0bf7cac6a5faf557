import { describe, expect, it } from "vitest";
import { EMPTY_BODY } from "../../core/server/body.ts";
import { buildEnviron, decodePath, splitHost, splitTarget } from "../../core/server/environ.ts";
import type { HeaderList, RequestHead } from "../../core/http/types.ts";
import type { IncomingRequest } from "../../core/server/types.ts";
import { MemoryLogger } from "./fake-socket.ts";

function request(target: string, headers: HeaderList, over: Partial<RequestHead> = {}, scheme = "http"): IncomingRequest {
  let host = "";
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === "host") host = headers[i + 1];
  return {
    head: {
      method: "GET", target, versionMinor: 1, headers, contentLength: -1, chunked: false, keepAlive: true,
      expectContinue: false, host, ...over,
    },
    body: EMPTY_BODY,
    remoteAddress: "10.0.0.7",
    remotePort: 40123,
    localAddress: "10.0.0.1",
    localPort: 8000,
    scheme,
  };
}

describe("buildEnviron", () => {
  it("fills the CGI keys", () => {
    const logger = new MemoryLogger();
    const req = request("/caf%C3%A9/a%2Fb?x=1&y=%20#frag", [
      "host", "example.com:8080",
      "content-type", "application/json",
      "content-length", "12",
      "user-agent", "curl/8",
      "accept", "a",
      "accept", "b",
      "cookie", "a=1",
      "cookie", "b=2",
    ], { method: "POST", contentLength: 12 });
    const env = buildEnviron(req, { logger, multiprocess: true });
    expect(env).toMatchObject({
      REQUEST_METHOD: "POST",
      SCRIPT_NAME: "",
      PATH_INFO: "/café/a/b",
      RAW_URI: "/caf%C3%A9/a%2Fb?x=1&y=%20#frag",
      QUERY_STRING: "x=1&y=%20",
      SERVER_PROTOCOL: "HTTP/1.1",
      SERVER_NAME: "example.com",
      SERVER_PORT: "8080",
      REMOTE_ADDR: "10.0.0.7",
      REMOTE_PORT: "40123",
      CONTENT_TYPE: "application/json",
      CONTENT_LENGTH: "12",
      HTTP_HOST: "example.com:8080",
      HTTP_USER_AGENT: "curl/8",
      HTTP_ACCEPT: "a, b",
      HTTP_COOKIE: "a=1; b=2",
      "tricorn.url_scheme": "http",
      "tricorn.multiprocess": true,
      "tricorn.multithread": false,
      "tricorn.run_once": false,
      "tricorn.input_terminated": true,
    });
    expect(env["tricorn.version"]).toEqual([1, 0]);
    expect(env["tricorn.input"]).toBe(EMPTY_BODY);
    expect(env.HTTP_CONTENT_TYPE).toBeUndefined();
    expect(env.HTTP_CONTENT_LENGTH).toBeUndefined();
    env["tricorn.errors"].write("something broke\n");
    expect(logger.at("error")).toEqual(["something broke"]);
  });

  it("defaults: no Host → local address, HTTP/1.0, empty content keys", () => {
    const env = buildEnviron(request("/", [], { versionMinor: 0 }), { logger: new MemoryLogger() });
    expect(env.SERVER_NAME).toBe("10.0.0.1");
    expect(env.SERVER_PORT).toBe("8000");
    expect(env.SERVER_PROTOCOL).toBe("HTTP/1.0");
    expect(env.CONTENT_TYPE).toBe("");
    expect(env.CONTENT_LENGTH).toBe("");
    expect(env.QUERY_STRING).toBe("");
  });

  it("default port follows the scheme", () => {
    expect(buildEnviron(request("/", ["host", "a.test"], {}, "https"), { logger: new MemoryLogger() }).SERVER_PORT).toBe("443");
    expect(buildEnviron(request("/", ["host", "a.test"]), { logger: new MemoryLogger() }).SERVER_PORT).toBe("80");
  });

  it("drops underscore headers by default, keeps them when dangerous", () => {
    const headers = ["host", "x", "x_forwarded_for", "evil", "x-forwarded-for", "good"];
    const dropped = buildEnviron(request("/", headers), { logger: new MemoryLogger() });
    expect(dropped.HTTP_X_FORWARDED_FOR).toBe("good");
    const kept = buildEnviron(request("/", headers), { logger: new MemoryLogger(), headerMap: "dangerous" });
    expect(kept.HTTP_X_FORWARDED_FOR).toBe("evil, good");
  });

  it("reduces absolute-form targets to their path", () => {
    const env = buildEnviron(request("http://example.com:81/p/q?z=9", ["host", "example.com:81"]), { logger: new MemoryLogger() });
    expect(env.PATH_INFO).toBe("/p/q");
    expect(env.QUERY_STRING).toBe("z=9");
    expect(env.RAW_URI).toBe("http://example.com:81/p/q?z=9");
  });
});

describe("environ helpers", () => {
  it("decodePath keeps malformed input raw", () => {
    expect(decodePath("/a%20b")).toBe("/a b");
    expect(decodePath("/bad%zz")).toBe("/bad%zz");
    expect(decodePath("/bad%C3")).toBe("/bad%C3");
    expect(decodePath("/plain")).toBe("/plain");
  });

  it("splitTarget handles every form", () => {
    expect(splitTarget("/a?b")).toEqual(["/a", "b"]);
    expect(splitTarget("/a")).toEqual(["/a", ""]);
    expect(splitTarget("*")).toEqual(["*", ""]);
    expect(splitTarget("https://h/x?y")).toEqual(["/x", "y"]);
    expect(splitTarget("https://h")).toEqual(["/", ""]);
    expect(splitTarget("h:443")).toEqual(["", ""]);
  });

  it("splitHost handles IPv6 literals", () => {
    expect(splitHost("[::1]:8080")).toEqual(["[::1]", "8080"]);
    expect(splitHost("[::1]")).toEqual(["[::1]", ""]);
    expect(splitHost("a.b")).toEqual(["a.b", ""]);
    expect(splitHost("a.b:1")).toEqual(["a.b", "1"]);
  });
});
