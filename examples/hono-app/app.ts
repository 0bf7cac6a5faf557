/**
 * A Hono app on tricorn: routes, path parameters, JSON in and out, and a
 * Server-Sent Events stream (`hono/streaming`'s streamSSE) that sends a
 * bounded number of events and then ends the response.
 *
 *   node dist/node.js examples/hono-app/app.ts
 *   deno run -A runtimes/deno/main.ts examples/hono-app/app.ts
 *   bun runtimes/bun/main.ts examples/hono-app/app.ts
 *
 *   curl http://127.0.0.1:8000/users/7
 *   curl -X POST -H 'content-type: application/json' -d '{"a":1,"b":2}' http://127.0.0.1:8000/sum
 *   curl -N 'http://127.0.0.1:8000/events?count=5'
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";

/** Most events one `/events` request may ask for, so a stream always ends. */
export const MAX_EVENTS = 100;

const app = new Hono();

app.get("/", (c) => c.json({ name: "hono-app", routes: ["/users/:id", "POST /sum", "/events?count=N"] }));

app.get("/users/:id", (c) => {
  const id = c.req.param("id");
  if (!/^\d+$/.test(id)) return c.json({ error: `user id must be a number, got ${JSON.stringify(id)}` }, 400);
  return c.json({ id: Number(id), name: `user-${id}` });
});

app.post("/sum", async (c) => {
  const body: unknown = await c.req.json().catch(() => null);
  const values = body !== null && typeof body === "object" ? Object.values(body) : [];
  if (values.length === 0 || !values.every((v) => typeof v === "number")) {
    return c.json({ error: 'expected a JSON object of numbers, e.g. {"a": 1, "b": 2}' }, 400);
  }
  return c.json({ sum: (values as number[]).reduce((a, b) => a + b, 0) });
});

/** `count` events (default 5, at most MAX_EVENTS), `delay` ms apart (default 10), then the stream ends. */
app.get("/events", (c) => {
  const count = Math.min(Number(c.req.query("count") ?? 5) || 0, MAX_EVENTS);
  const delay = Math.min(Number(c.req.query("delay") ?? 10) || 0, 1000);
  return streamSSE(c, async (stream) => {
    for (let i = 1; i <= count; i++) {
      await stream.writeSSE({ id: String(i), event: "tick", data: JSON.stringify({ n: i, of: count }) });
      if (i < count) await stream.sleep(delay);
    }
    await stream.writeSSE({ event: "done", data: "bye" });
  });
});

export default app;
