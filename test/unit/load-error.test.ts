import { describe, expect, it } from "vitest";
import { describeLoadFailure, locationInError, moduleKindHint } from "../../core/config/load-error.ts";
import { errorHandlerOf, serveFieldWarnings, withErrorHandler } from "../../adapters/serve-fields.ts";

describe("load errors", () => {
  it("finds the first location inside the app's directory, skipping runtime internals and tricorn itself", () => {
    const error = new Error("boom");
    error.stack = [
      "Error: boom",
      "    at resolve (node:internal/modules/esm/resolve:12:3)",
      "    at run (file:///srv/app/node_modules/tricorn/dist/node.js:100:5)",
      "    at file:///srv/app/lib/db%20x.js:7:11",
      "    at file:///srv/app/app.js:3:1",
    ].join("\n");
    expect(locationInError(error, "/srv/app/")).toBe("/srv/app/lib/db x.js:7:11");
    expect(locationInError(error, "/elsewhere/")).toBeNull();
  });

  it("appends the place relative to the app, unless the reason names one, and the module-kind hint", () => {
    const thrown = Object.assign(new Error("x is not defined"), { stack: "ReferenceError: x\n    at /srv/app/app.js:2:5" });
    expect(describeLoadFailure("x is not defined", thrown, "/srv/app/app.js", "app.js", null)).toBe("x is not defined (at app.js:2:5)");
    expect(describeLoadFailure('Expected "}" (/srv/app/app.js:3:3)', thrown, "/srv/app/app.js", "app.js", null)).toBe('Expected "}" (/srv/app/app.js:3:3)');
    expect(describeLoadFailure("Unexpected end of input", new SyntaxError("u"), "/srv/app/app.js", "app.js", "/srv/app/app.js:5")).toBe("Unexpected end of input (at app.js:5)");
    expect(moduleKindHint("module is not defined in ES module scope", "a.js")).toMatch(/^a\.js is loaded as an ES module/);
    expect(moduleKindHint("Cannot use import statement outside a module", "a.cjs")).toMatch(/^a\.cjs is loaded as CommonJS/);
    expect(moduleKindHint("x is not a function", "a.js")).toBeNull();
  });
});

describe("Bun.serve/Deno.serve fields", () => {
  it("warns about object-literal options only (a framework app may have a routes property)", () => {
    // port and hostname are the bind when none is given (test/unit/app-bind.test.ts), so not listed here.
    expect(serveFieldWarnings({ fetch() {}, port: 3000, hostname: "0.0.0.0", unix: "/x", routes: {} }, "export default")).toEqual([
      "export default: `unix` is a Bun.serve/Deno.serve option that tricorn does not use; listen with -b unix:PATH",
      "export default: `routes` is a Bun.serve/Deno.serve option that tricorn does not use; route inside fetch() (for example with Hono)",
    ]);
    class Framework {
      routes = [];
      fetch() {}
    }
    expect(serveFieldWarnings(new Framework(), "export default")).toEqual([]);
    expect(serveFieldWarnings(() => new Response(""), "export default")).toEqual([]);
  });

  it("error(err) answers throws and rejections", async () => {
    const onError = errorHandlerOf({ error: (error: Error) => new Response(`handled ${error.message}`) })!;
    const throwing = withErrorHandler((_request: Request): Response => {
      throw new Error("sync");
    }, onError);
    const rejecting = withErrorHandler((_request: Request) => Promise.reject(new Error("async")), onError);
    const fine = withErrorHandler((_request: Request) => new Response("fine"), onError);
    const call = (fn: typeof fine) => fn(new Request("http://x/"));
    expect(await (await call(throwing)).text()).toBe("handled sync");
    expect(await (await call(rejecting)).text()).toBe("handled async");
    expect(await (await call(fine)).text()).toBe("fine");
    expect(errorHandlerOf({ fetch() {} })).toBeNull();
  });
});
