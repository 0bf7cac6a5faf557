/**
 * A Hono app served by tricorn (fetch interface):
 *
 *   node dist/node.js examples/hono/app.ts
 *   deno run -A runtimes/deno/main.ts examples/hono/app.ts
 *   bun runtimes/bun/main.ts examples/hono/app.ts
 */
import { Hono } from "hono";

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

const todos: Todo[] = [{ id: 1, title: "try tricorn", done: true }];

const app = new Hono();

app.get("/", (c) => c.text("Hello from Hono on tricorn!\n"));

app.get("/todos", (c) => c.json(todos));

app.get("/todos/:id", (c) => {
  const todo = todos.find((t) => t.id === Number(c.req.param("id")));
  return todo ? c.json(todo) : c.json({ error: "not found" }, 404);
});

app.post("/todos", async (c) => {
  const body = await c.req.json<{ title?: unknown }>().catch(() => ({}) as { title?: unknown });
  if (typeof body.title !== "string" || body.title === "") {
    return c.json({ error: "expected JSON {\"title\": \"…\"}" }, 400);
  }
  const todo: Todo = { id: todos.length + 1, title: body.title, done: false };
  todos.push(todo);
  return c.json(todo, 201);
});

export default app;
