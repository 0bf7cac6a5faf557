import { describe, expect, it } from "vitest";
import { resolveCredentials } from "../../core/config/credentials.ts";
import { SETTINGS } from "../../core/config/settings.ts";

const PASSWD = "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\ntricorn:x:998:997::/home/tricorn:/usr/sbin/nologin\n";
const GROUP = "root:x:0:\nwww-data:x:33:\ntricorn:x:997:\n";
const read = (path: string) => {
  if (path === "/etc/passwd") return PASSWD;
  if (path === "/etc/group") return GROUP;
  throw new Error(`no ${path}`);
};
const ROOT = { uid: 0, gid: 0 };

describe("--user / --group", () => {
  it("is null when neither is set", () => {
    expect(resolveCredentials(null, null, read, ROOT)).toBeNull();
  });

  it("takes the user's primary group unless --group is given", () => {
    expect(resolveCredentials("tricorn", null, read, ROOT)).toEqual({ uid: 998, gid: 997, userLabel: "tricorn (uid 998)", groupLabel: "tricorn (gid 997)" });
    expect(resolveCredentials("tricorn", "www-data", read, ROOT)).toMatchObject({ uid: 998, gid: 33, groupLabel: "www-data (gid 33)" });
  });

  it("accepts numeric ids, known or not", () => {
    expect(resolveCredentials("33", null, read, ROOT)).toMatchObject({ uid: 33, gid: 33, userLabel: "www-data (uid 33)" });
    expect(resolveCredentials("4242", "4243", read, ROOT)).toEqual({ uid: 4242, gid: 4243, userLabel: "uid 4242", groupLabel: "gid 4243" });
    expect(resolveCredentials(null, "www-data", read, { uid: 5, gid: 5 })).toMatchObject({ uid: 5, gid: 33 });
  });

  it("names what is missing and the fix", () => {
    expect(() => resolveCredentials("nobody-here", null, read, ROOT)).toThrow('--user: no user "nobody-here" in /etc/passwd; create it (useradd --system nobody-here) or give a numeric id');
    expect(() => resolveCredentials("4242", null, read, ROOT)).toThrow("--user 4242: not in /etc/passwd, so its group is unknown; add --group");
    expect(() => resolveCredentials("tricorn", "proxy-x", read, ROOT)).toThrow('--group: no group "proxy-x" in /etc/group');
  });
});

describe("--umask", () => {
  it("parses octal masks and rejects anything else", () => {
    expect(SETTINGS.umask.parse("007")).toBe(0o7);
    expect(SETTINGS.umask.parse("0o027")).toBe(0o27);
    expect(SETTINGS.umask.parse("0777")).toBe(0o777);
    expect(SETTINGS.umask.showDefault(0o7)).toBe("007");
    for (const bad of ["8", "1777", "rwx", ""]) expect(() => SETTINGS.umask.parse(bad)).toThrow("expected an octal mask 000-777 such as 007");
  });
});
