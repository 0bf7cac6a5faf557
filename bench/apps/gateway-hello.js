/**
 * Gateway (environ/start-response) hello world, the smallest tricorn app.
 * Served by `tricorn bench/apps/gateway-hello.js` on Node, Deno and Bun.
 */
export default (environ, startResponse) => {
  startResponse("200 OK", [["Content-Type", "text/plain"]]);
  return ["Hello, World!"];
};
