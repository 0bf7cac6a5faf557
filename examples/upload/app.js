/**
 * Reading a large request body as a stream, in a gateway app. The body is
 * `environ["tricorn.input"]`, an async iterable of Uint8Array chunks (also
 * `read()`, `text()`, `bytes()`), whether the client sent Content-Length or
 * `Transfer-Encoding: chunked`. This app counts the bytes as they arrive and
 * answers with the count and the body's SHA-256:
 *
 *   node dist/node.js examples/upload/app.js
 *   deno run -A runtimes/deno/main.ts examples/upload/app.js
 *   bun runtimes/bun/main.ts examples/upload/app.js
 *
 *   head -c 8388608 /dev/urandom > blob && curl --data-binary @blob http://127.0.0.1:8000/
 *     → {"bytes":8388608,"chunks":…,"sha256":"…"}   (compare with `sha256sum blob`)
 *
 * `crypto.subtle.digest` (on Node, Deno and Bun alike) hashes one buffer, so
 * the chunks are kept until the end; MAX_BYTES bounds that memory. Use
 * tricorn's `--limit-request-body` to have the server refuse bigger bodies
 * before the app sees them.
 */

/** Largest body this app buffers for hashing (64 MiB); more gets 413. */
export const MAX_BYTES = 64 * 1024 * 1024;

function reply(startResponse, status, object) {
  const body = JSON.stringify(object) + "\n";
  startResponse(status, [["Content-Type", "application/json"]]);
  return [body];
}

/** POST/PUT a body; answers `{"bytes", "chunks", "sha256"}`. */
export default async function app(environ, startResponse) {
  if (environ.REQUEST_METHOD !== "POST" && environ.REQUEST_METHOD !== "PUT") {
    return reply(startResponse, "405 Method Not Allowed", { error: "send the data with POST or PUT" });
  }
  const parts = [];
  let bytes = 0;
  for await (const chunk of environ["tricorn.input"]) {
    bytes += chunk.length;
    if (bytes > MAX_BYTES) {
      return reply(startResponse, "413 Content Too Large", { error: `body is larger than ${MAX_BYTES} bytes` });
    }
    parts.push(chunk);
  }
  const whole = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", whole));
  const sha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return reply(startResponse, "200 OK", { bytes, chunks: parts.length, sha256 });
}
