import { describe, expect, test } from "vitest";
import { AppLoadError, locateApp, missingPackage, parseAppSpec, pickExport } from "../../core/config/app-spec.ts";

describe("parseAppSpec", () => {
  test.each([
    ["app.js", { file: "app.js", exportName: null }],
    ["src/app.ts:server", { file: "src/app.ts", exportName: "server" }],
    ["/abs/app.mjs:$app_1", { file: "/abs/app.mjs", exportName: "$app_1" }],
    ["dir:with:colons/app.cjs", { file: "dir:with:colons/app.cjs", exportName: null }],
    ["a:b/app.mts:app", { file: "a:b/app.mts", exportName: "app" }],
  ])("%s", (spec, expected) => {
    expect(parseAppSpec(spec)).toEqual(expected);
  });

  test.each([
    ["", "APP is empty (expected path/to/app.js[:export])"],
    ["app.js:", `APP "app.js:" has an empty export name after ':'`],
    [":app", `APP ":app" has no file before ':'`],
    ["app.py", 'APP file "app.py" must end in .js, .mjs, .cjs, .ts, .mts'],
    ["app.js:1bad", 'APP file "app.js:1bad" must end in .js, .mjs, .cjs, .ts, .mts'],
  ])("rejects %j", (spec, message) => {
    expect(() => parseAppSpec(spec)).toThrow(AppLoadError);
    expect(() => parseAppSpec(spec)).toThrow(message);
  });
});

describe("pickExport", () => {
  const fn = () => {};
  const other = () => {};

  test("named export, else default, then app", () => {
    expect(pickExport({ default: fn, server: other }, parseAppSpec("x.js:server"))).toEqual({ name: "server", value: other });
    expect(pickExport({ default: fn, app: other }, parseAppSpec("x.js"))).toEqual({ name: "default", value: fn });
    expect(pickExport({ app: other }, parseAppSpec("x.js"))).toEqual({ name: "app", value: other });
  });

  test("CommonJS: properties of module.exports count as named exports", () => {
    expect(pickExport({ default: { server: other } }, parseAppSpec("x.cjs:server")).value).toBe(other);
  });

  test("missing exports are one clear line listing what exists", () => {
    expect(() => pickExport({ default: fn, app: other }, parseAppSpec("src/app.ts:foo"))).toThrow(
      'app.ts has no export "foo" (exports: default, app)',
    );
    expect(() => pickExport({ x: 1 }, parseAppSpec("src/app.ts"))).toThrow(
      'app.ts has no default export and no export named "app" (exports: x); name one with src/app.ts:NAME',
    );
    expect(() => pickExport({}, parseAppSpec("app.js"))).toThrow("(it exports nothing)");
  });
});

describe("locateApp", () => {
  const lookup = { resolveFile: (file: string) => (file === "app.js" ? "/srv/app.js" : null), cwd: () => "/srv" };

  test("finds the file and parses the export", () => {
    expect(locateApp(lookup, "app.js:api")).toEqual({ spec: { file: "app.js", exportName: "api" }, path: "/srv/app.js" });
  });

  test("a missing file names where it was looked for and the fix", () => {
    expect(() => locateApp(lookup, "src/app.js")).toThrow(new AppLoadError('cannot find app file "src/app.js" in /srv; check the path'));
    expect(() => locateApp(lookup, "/opt/app.js")).toThrow(new AppLoadError('cannot find app file "/opt/app.js"; check the path'));
  });
});

describe("missingPackage", () => {
  test.each([
    // Node and Bun
    ["Cannot find package 'hono' imported from /srv/app.js", "hono"],
    ["Cannot find package '@hono/node-server' imported from /srv/app.js", "@hono/node-server"],
    // Deno
    ['Import "hono/cors" not a dependency', "hono"],
    ['Import "@scope/pkg/sub/path.js" not a dependency', "@scope/pkg"],
    ['Import "npm:hono@4/jsx" not a dependency', "hono"],
    ['Import "npm:@scope/pkg@1.2" not a dependency', "@scope/pkg"],
    // not a missing package
    ["Cannot find module '/srv/nope.js' imported from /srv/app.js", null],
    ['Module not found "file:///srv/nope.js".', null],
    ['Import "./nope.js" not a dependency', null],
    ['Import "jsr:@std/path" not a dependency', null],
    ["boom while importing", null],
  ])("%s", (message, name) => {
    expect(missingPackage(message)).toBe(name);
  });
});
