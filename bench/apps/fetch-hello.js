/**
 * Fetch-style hello world: `{ fetch(Request): Response }`. Served by tricorn and,
 * for the baselines, by @hono/node-server, Deno.serve and Bun.serve.
 */
export default {
  fetch: (req) => new Response("Hello, World!"),
};
