import { describe, expect, test } from "vitest";
import { AppLoadError, parseAppSpec, pickExport } from "../../core/app-spec.ts";

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
