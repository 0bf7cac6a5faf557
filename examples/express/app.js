/**
 * An Express 5 app served by tricorn (node interface): export the app, do
 * not call listen() — tricorn binds, forks the workers and serves it with
 * its own HTTP/1.1 engine on Node, Deno and Bun.
 *
 *   node dist/node.js -w 2 examples/express/app.js
 *   curl 'http://127.0.0.1:8000/hello?name=Ada'
 *   curl -H 'content-type: application/json' -d '{"title":"milk"}' http://127.0.0.1:8000/todos
 *   curl http://127.0.0.1:8000/todos/1
 */
import express from "express";

const app = express();
const todos = new Map();
let nextId = 1;

app.use(express.json());

app.get("/hello", (req, res) => {
  res.type("text/plain").send(`Hello, ${req.query.name ?? "world"}!\n`);
});

app.post("/todos", (req, res) => {
  if (typeof req.body?.title !== "string") return res.status(400).json({ error: "title must be a string" });
  const todo = { id: nextId++, title: req.body.title, done: false };
  todos.set(todo.id, todo);
  res.status(201).location(`/todos/${todo.id}`).json(todo);
});

app.get("/todos/:id", (req, res, next) => {
  const todo = todos.get(Number(req.params.id));
  if (todo === undefined) return next(Object.assign(new Error(`no todo ${req.params.id}`), { status: 404 }));
  res.json(todo);
});

// Errors from handlers (thrown or passed to next) end here.
app.use((err, req, res, _next) => {
  res.status(err.status ?? 500).json({ error: err.message });
});

export default app;
