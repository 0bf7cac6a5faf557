/**
 * `ctl` for scripts on Deno: `await ctl("status")` asks a running master over
 * its control socket, like `tricorn ctl status --json` (core/command/ctl.ts).
 */
import { createCtl } from "../../core/command/ctl.ts";
import { unixRequest } from "./unix-request.ts";

/** Send one control command (`"stats"`, `["workers", "add", "2"]`); resolves with the master's answer. */
export const ctl = createCtl(unixRequest, () => Deno.env.toObject());
