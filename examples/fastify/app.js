/**
 * A Fastify 5 app served by tricorn (node interface): export the instance,
 * do not call listen() — tricorn awaits ready() in each worker and routes
 * requests through Fastify's router, on Node, Deno and Bun.
 *
 *   node dist/node.js -w 2 examples/fastify/app.js
 *   curl 'http://127.0.0.1:8000/hello?name=Ada'
 *   curl -H 'content-type: application/json' -d '{"a":1,"b":2}' http://127.0.0.1:8000/sum
 */
import Fastify from "fastify";

const app = Fastify();

app.get("/hello", async (request) => ({ hello: request.query.name ?? "world" }));

app.post(
  "/sum",
  {
    schema: {
      body: { type: "object", additionalProperties: { type: "number" } },
    },
  },
  async (request) => ({ sum: Object.values(request.body).reduce((a, b) => a + b, 0) }),
);

export default app;
