/**
 * The Deno master's permission flags for its workers (runtimes/deno/permissions.ts):
 * which flags of a command line are permissions, relative scopes made
 * absolute, and the fallback with its warning when the command line cannot
 * be read. The whole path runs in test/e2e/deno-permissions.test.ts.
 */
import assert from "node:assert/strict";
import { inheritedPermissions, permissionFlagsFrom } from "../../runtimes/deno/permissions.ts";

Deno.test("permissionFlagsFrom keeps the permission flags, scopes included, and nothing else", () => {
  const argv = [
    "/usr/bin/deno", "run", "--allow-net", "--allow-read=.,/etc/ssl,../shared", "--unstable-net", "--config", "deno.json",
    "-W=./tricorn.ctl", "--deny-env=SECRET", "-NE", "--allow-run", "--no-prompt", "-P", "--allow-scripts", "main.ts", "-w", "2", "app.js",
  ];
  assert.deepEqual(permissionFlagsFrom(argv, 3, "/srv/app"), [
    "--allow-net", "--allow-read=/srv/app,/etc/ssl,/srv/shared", "-W=/srv/app/tricorn.ctl", "--deny-env=SECRET", "-NE", "--allow-run", "--no-prompt", "-P",
  ]);
  // Arguments of the script are never taken for flags, even when they look like them.
  assert.deepEqual(permissionFlagsFrom(["deno", "run", "-A", "main.ts", "--allow-read"], 1, "/srv"), ["-A"]);
  assert.deepEqual(permissionFlagsFrom(["deno", "main.ts"], 0, "/srv"), []);
  assert.deepEqual(permissionFlagsFrom(["deno", "run", "--allow-read=x"], 0, null), []);
  assert.deepEqual(permissionFlagsFrom(["deno", "run", "--allow-read=x", "m.ts"], 0, null), ["--allow-read=x"]);
});

Deno.test("inheritedPermissions: -A as it is; else the command line's flags; else the unscoped grants and a warning", async () => {
  assert.deepEqual(await inheritedPermissions({ queried: ["-A"], readCommandLine: () => Promise.reject(new Error("not called")) }), { flags: ["-A"], warning: null });
  const read = await inheritedPermissions({ queried: ["--allow-net"], readCommandLine: async () => ["deno", "run", "--allow-net", "--allow-env=HOME", "main.ts", ...Deno.args] });
  assert.deepEqual(read, { flags: ["--allow-net", "--allow-env=HOME"], warning: null });
  const failed = await inheritedPermissions({ queried: ["--allow-net", "--allow-env"], readCommandLine: async () => "no /proc on darwin" });
  assert.deepEqual(failed.flags, ["--allow-net", "--allow-env"]);
  assert.equal(
    failed.warning,
    "cannot read the master's Deno flags (no /proc on darwin), so workers get only the permissions granted without a scope (--allow-net --allow-env); " +
      "a scoped grant such as --allow-read=DIR is not passed on: give such flags unscoped",
  );
});
