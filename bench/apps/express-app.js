/**
 * Express 5 benchmark app (node interface): `GET /` answers the same
 * "Hello, World!" text as the other hello apps, `GET /json` a small JSON
 * object. Served by tricorn (`export default`) or by node:http through
 * bench/apps/serve-node-app.mjs.
 */
import express from "express";

const app = express();
app.get("/", (req, res) => {
  res.type("text/plain").send("Hello, World!");
});
app.get("/json", (req, res) => {
  res.json({ message: "Hello, World!", items: [1, 2, 3] });
});

export default app;
