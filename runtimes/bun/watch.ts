/**
 * Directory listing and watching for `--reload` on Bun: Bun's node:fs
 * implements fs.watch/readdirSync/statSync like Node, so this is Node's file.
 */
export { isDirectory, listDirectory, watchDirectory } from "../node/watch.ts";
