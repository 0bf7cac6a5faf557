/** `ctl` for scripts on Bun: Node's (runtimes/node/ctl.ts), as Bun runs its node:net client. */
export { ctl } from "../node/ctl.ts";
