/**
 * A plain node:http `(req, res)` hello handler (node interface): the same
 * handler bench/apps/serve-node-http.mjs runs on node:http, so the two rows
 * compare the servers around one identical handler.
 */
const body = "Hello, World!";

export default function hello(req, res) {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
  res.end(body);
}
