import { describe, expect, it } from "vitest";
import { serviceNotifier } from "../../core/arbiter/service-notify.ts";
import { activatedBinds } from "../../core/arbiter/socket-activation.ts";
import type { Logger } from "../../core/log/logger.ts";

const warnings: string[] = [];
const logger = { debug() {}, info() {}, warning: (text: string) => void warnings.push(text), error() {}, critical() {} } as unknown as Logger;

describe("socket activation", () => {
  it("takes LISTEN_FDS sockets from fd 3 when LISTEN_PID is this process (or absent)", () => {
    expect(activatedBinds({ LISTEN_FDS: "2", LISTEN_PID: "42" }, 42)).toEqual([
      { kind: "fd", fd: 3 },
      { kind: "fd", fd: 4 },
    ]);
    expect(activatedBinds({ LISTEN_FDS: "1" }, 42)).toEqual([{ kind: "fd", fd: 3 }]);
  });

  it("ignores sockets meant for another process and malformed counts", () => {
    expect(activatedBinds({ LISTEN_FDS: "1", LISTEN_PID: "41" }, 42)).toBeNull();
    for (const count of ["0", "", "x", "-1", "99999"]) expect(activatedBinds({ LISTEN_FDS: count, LISTEN_PID: "42" }, 42)).toBeNull();
    expect(activatedBinds({}, 42)).toBeNull();
  });
});

describe("sd_notify", () => {
  it("is off without NOTIFY_SOCKET", () => {
    expect(serviceNotifier({}, 1, async () => {}, logger)).toBeNull();
  });

  it("sends one message at a time, in order, with MAINPID; a failure is one warning", async () => {
    const sent: string[][] = [];
    let release: () => void = () => {};
    const notifier = serviceNotifier(
      { NOTIFY_SOCKET: "/run/systemd/notify" },
      7,
      (fields, onError) => {
        sent.push([...fields]);
        onError("systemd-notify is not installed");
        return sent.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      logger,
    )!;
    notifier.ready("Listening at x\nwith 2");
    notifier.reloading();
    notifier.stopping();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent).toEqual([["READY=1", "STATUS=Listening at x with 2", "MAINPID=7"]]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.slice(1)).toEqual([
      ["RELOADING=1", "STATUS=Reloading", "MAINPID=7"],
      ["STOPPING=1", "STATUS=Stopping", "MAINPID=7"],
    ]);
    expect(warnings).toEqual(["Cannot notify systemd (NOTIFY_SOCKET is set): systemd-notify is not installed"]);
  });
});
