/**
 * Hello world as a fetch app: an object with `fetch(request, info)` returning
 * a `Response` — the shape `Deno.serve`, `Bun.serve` and Cloudflare Workers use,
 * so the same file runs under tricorn on every runtime:
 *
 *   node dist/node.js examples/hello-fetch/app.ts
 *   deno run -A runtimes/deno/main.ts examples/hello-fetch/app.ts
 *   bun runtimes/bun/main.ts examples/hello-fetch/app.ts
 *
 *   curl 'http://127.0.0.1:8000/?name=Ada'   →  Hello, Ada!
 *   curl http://127.0.0.1:8000/whoami        →  {"method":"GET","path":"/whoami","peer":"127.0.0.1"}
 */

/** `info` as tricorn passes it (shaped like Deno's `ServeHandlerInfo`). */
interface ServeInfo {
  remoteAddr: { hostname: string; port: number };
}

export default {
  /** Greets `?name=` (default "world"); `/whoami` echoes what the server saw, as JSON. */
  fetch(request: Request, info: ServeInfo): Response {
    const url = new URL(request.url);
    if (url.pathname === "/whoami") {
      return Response.json({ method: request.method, path: url.pathname, peer: info.remoteAddr.hostname });
    }
    if (url.pathname !== "/") return new Response("Not Found\n", { status: 404 });
    const name = url.searchParams.get("name") || "world";
    return new Response(`Hello, ${name}!\n`, { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
