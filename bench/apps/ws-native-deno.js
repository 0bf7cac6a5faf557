/**
 * Native Deno WebSocket baseline: `Deno.serve` + `Deno.upgradeWebSocket`,
 * echoing every message. Usage: `deno run -A ws-native-deno.js PORT`.
 */
const port = Number(Deno.args[0]);
Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, (request) => {
  if (new URL(request.url).pathname !== "/ws") return new Response("ws echo");
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
