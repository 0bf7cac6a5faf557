/**
 * One plain HTTP/1.1 request through node:http, for end-to-end tests that
 * want a well-behaved client (raw-client.ts is the byte-level one). No
 * connection reuse unless an agent is given; every request is bounded.
 *
 *   const answer = await request(server.port, "/?name=Ada");
 *   expect(answer).toMatchObject({ status: 200, body: "Hello, Ada!\n" });
 */
import http from "node:http";

/** Where to send a request: a TCP port on 127.0.0.1, or a unix socket. */
export type Target = number | { port: number } | { socketPath: string };

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Request body; the pieces of an array are written one by one (chunked without a content-length). */
  body?: string | Buffer | Buffer[];
  /** Share connections through this agent (default: a new connection per request). */
  agent?: http.Agent;
  /** Bound on the whole exchange (default 20 s). */
  timeoutMs?: number;
}

/** A complete response. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  body: string;
  /** The body as bytes. */
  bytes: Buffer;
  /** The body parsed as JSON. */
  json(): unknown;
}

/** Send one request and wait for the complete response. */
export function request(target: Target, path: string, options: RequestOptions = {}): Promise<Answer> {
  const where =
    typeof target === "number" ? { host: "127.0.0.1", port: target } : "port" in target ? { host: "127.0.0.1", port: target.port } : { socketPath: target.socketPath };
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...where, path, method: options.method ?? "GET", headers: options.headers, agent: options.agent ?? false },
      (res) => {
        const pieces: Buffer[] = [];
        res.on("data", (chunk: Buffer) => void pieces.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const bytes = Buffer.concat(pieces);
          const body = bytes.toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytes, json: () => JSON.parse(body) as unknown });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no complete answer to ${path} within ${timeoutMs} ms`)));
    req.on("error", reject);
    const body = options.body;
    if (Array.isArray(body)) {
      for (const piece of body) req.write(piece);
      req.end();
    } else {
      req.end(body);
    }
  });
}
