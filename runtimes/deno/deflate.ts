/**
 * permessage-deflate streams on Deno: its node:zlib supports the write +
 * Z_SYNC_FLUSH calls runtimes/node/deflate.ts makes, so that one file serves all three.
 */
export { deflateCodec } from "../node/deflate.ts";
