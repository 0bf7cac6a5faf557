/**
 * Fastify 5 benchmark app (node interface): `GET /` answers the same
 * "Hello, World!" text as the other hello apps, `GET /json` a small JSON
 * object. Served by tricorn (`export default`) or by node:http through
 * bench/apps/serve-node-app.mjs.
 */
import Fastify from "fastify";

const app = Fastify();
app.get("/", (request, reply) => {
  reply.type("text/plain").send("Hello, World!");
});
app.get("/json", (request, reply) => {
  reply.send({ message: "Hello, World!", items: [1, 2, 3] });
});

export default app;
