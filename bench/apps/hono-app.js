/**
 * A small Hono router: plain text at `/`, JSON at `/json`, a path parameter
 * route and a 404 fallback. The benchmark hits `/` and `/json`.
 */
import { Hono } from "hono";

const app = new Hono();

app.get("/", (c) => c.text("Hello, World!"));
app.get("/json", (c) => c.json({ message: "Hello, World!" }));
app.get("/user/:id", (c) => c.text(`user ${c.req.param("id")}`));
app.post("/echo", async (c) => c.text(await c.req.text()));

export default app;
