/**
 * Hello world as a gateway app: `(environ, startResponse) => body`, the
 * WSGI-style interface. Plain JavaScript, so it runs unchanged on every runtime:
 *
 *   node dist/node.js examples/hello/app.js
 *   deno run -A runtimes/deno/main.ts examples/hello/app.js
 *   bun runtimes/bun/main.ts examples/hello/app.js
 */

/** Greets the caller; `/?name=Ada` greets Ada. */
export default function app(environ, startResponse) {
  const name = new URLSearchParams(environ.QUERY_STRING ?? "").get("name") || "world";
  const body = `Hello, ${name}!\n`;
  startResponse("200 OK", [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(new TextEncoder().encode(body).length)],
  ]);
  return [body];
}
