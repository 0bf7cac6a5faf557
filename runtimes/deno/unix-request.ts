/** {@link UnixRequestFn} on Deno (`Deno.connect` over a unix socket): the `tricorn ctl` client's connection. */
import { UNIX_REQUEST_TIMEOUT, type UnixRequestFn } from "../../core/runtime/unix-request.ts";

/** One request/response exchange over a unix socket (see {@link UnixRequestFn}). */
export const unixRequest: UnixRequestFn = async (path, request, timeoutMs) => {
  let conn: Deno.UnixConn | null = null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }, timeoutMs);
  try {
    conn = await Deno.connect({ transport: "unix", path });
    if (timedOut) conn.close();
    await conn.write(request);
    const chunks: Uint8Array[] = [];
    let length = 0;
    const buffer = new Uint8Array(16 * 1024);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      chunks.push(buffer.slice(0, n));
      length += n;
    }
    conn.close();
    const out = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } catch (error) {
    if (timedOut) throw Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: UNIX_REQUEST_TIMEOUT });
    throw error;
  } finally {
    clearTimeout(timer);
  }
};
