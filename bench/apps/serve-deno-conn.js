/**
 * The ceiling of any server built on `Deno.Conn` (issue 16): a bare read/write
 * loop with no HTTP work at all. Each connection reads into one reused 4 KiB
 * buffer and answers every request it finds (counted by the "\r\n\r\n" that
 * ends a head; bodies are not expected) with fixed bytes — the same response
 * tricorn's gateway hello sends, minus the Date line. Writes are not awaited
 * unless one is still in flight, the fastest correct use of `conn.write`.
 * Usage: `deno run -A serve-deno-conn.js PORT`.
 */
const port = Number(Deno.args[0]);
const RESPONSE = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nServer: conn-loop\r\n\r\nHello, World!",
);

/** Number of request heads ending in `buf[0..n)`, carrying over a partial "\r\n\r\n" match in `state`. */
function countHeads(buf, n, state) {
  let heads = 0;
  let matched = state.matched;
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === (matched === 0 || matched === 2 ? 13 : 10)) {
      if (++matched === 4) {
        heads++;
        matched = 0;
      }
    } else matched = b === 13 ? 1 : 0;
  }
  state.matched = matched;
  return heads;
}

/** Writes all of `bytes` (conn.write may take fewer). */
async function writeAll(conn, bytes) {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function serve(conn) {
  conn.setNoDelay(true);
  const buf = new Uint8Array(4096);
  const state = { matched: 0 };
  let inflight = null;
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      const heads = countHeads(buf, n, state);
      if (heads === 0) continue;
      let out = RESPONSE;
      if (heads > 1) {
        out = new Uint8Array(RESPONSE.length * heads);
        for (let i = 0; i < heads; i++) out.set(RESPONSE, i * RESPONSE.length);
      }
      if (inflight !== null) await inflight;
      const bytes = out;
      const p = conn.write(bytes).then((took) => (took < bytes.length ? writeAll(conn, bytes.subarray(took)) : undefined));
      inflight = p;
      p.then(() => {
        if (inflight === p) inflight = null;
      }, () => {});
    }
  } catch {
    // peer reset
  } finally {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port });
for await (const conn of listener) serve(conn);
