/** {@link UnixRequestFn} on Node (node:net): the `tricorn ctl` client's connection. */
import net from "node:net";
import { UNIX_REQUEST_TIMEOUT, type UnixRequestFn } from "../../core/runtime/unix-request.ts";

/** One request/response exchange over a unix socket (see {@link UnixRequestFn}). */
export const unixRequest: UnixRequestFn = (path, request, timeoutMs) =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: UNIX_REQUEST_TIMEOUT }));
    }, timeoutMs);
    socket.once("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("end", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(new Uint8Array(Buffer.concat(chunks)));
    });
  });
