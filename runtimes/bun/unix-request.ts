/**
 * {@link UnixRequestFn} on Bun: Bun's node:net client is complete for this
 * one short exchange, so this is Node's file (runtimes/node/unix-request.ts).
 */
export { unixRequest } from "../node/unix-request.ts";
