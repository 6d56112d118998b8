/**
 * A small real origin "pod" on 127.0.0.1: what the demo runs and what the integration tests talk to.
 * Every answer names the pod, so load balancing and affinity can be seen from outside.
 *
 *   any path          JSON echo: {pod, method, url, headers, body}
 *   /sse?count&interval   server-sent events, one per interval, each naming the pod
 *   /stream?chunks&interval chunked text written over time
 *   /delay/MS         the echo, after MS milliseconds
 *   /status/CODE      the echo with that status
 *   /gzip             a gzip-encoded body with Content-Encoding: gzip
 *   /redirect         302 to /elsewhere (the gateway must pass it through, not follow it)
 *   /raw-status/CODE  a bare response written on the socket with that status, however wrong (a 101 to a
 *                     request that asked for no upgrade, a 600), then the connection closed
 *   WebSocket (any path): echoes every message; "whoami" answers with the pod name, and
 *                     "whoami:TEXT" with "NAME:TEXT" (a reply that names its pod, for the soak suite)
 *
 * Faults, for the tests' control server: `failNext` (answer with a status) and `delayNext` (answer late).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { WebSocketServer } from "ws";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** When the request had fully arrived (ms since the epoch): retry backoff is seen from here. */
  at: number;
}

export interface OriginPod {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answer the next `count` requests with `status` (to provoke retries and ejection). */
  failNext(count: number, status: number): void;
  /** Hold the answer to the next `count` requests for `ms` milliseconds (a slow pod). */
  delayNext(count: number, ms: number): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  running(): boolean;
}

export interface OriginPodOptions {
  /** Keep every request in `requests` (default true); a pod under hours of load should not. */
  record?: boolean;
}

export async function startOriginPod(
  name: string,
  port = 0,
  options: OriginPodOptions = {},
): Promise<OriginPod> {
  const record = options.record ?? true;
  const requests: RecordedRequest[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 502 };
  let delays: { count: number; ms: number } = { count: 0, ms: 0 };
  let server: http.Server | undefined;
  let wss: WebSocketServer | undefined;
  let boundPort = port;

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const at = Date.now();
      if (record)
        requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, at });
      if (delays.count > 0) {
        delays.count--;
        const timer = setTimeout(() => respond(req, res, body), delays.ms);
        res.on("close", () => clearTimeout(timer));
        return;
      }
      respond(req, res, body);
    });
  };

  const respond = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => {
    const url = new URL(req.url ?? "/", "http://pod");
    const echo = () =>
      JSON.stringify({ pod: name, method: req.method, url: req.url, headers: req.headers, body });
    res.setHeader("x-pod", name);
    if (failures.count > 0) {
      failures.count--;
      res.writeHead(failures.status, { "content-type": "application/json" });
      res.end(echo());
      return;
    }
    if (url.pathname === "/sse") {
      const count = Number(url.searchParams.get("count") ?? 5);
      const interval = Number(url.searchParams.get("interval") ?? 200);
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let n = 0;
      const tick = () => {
        res.write(`id: ${n}\nevent: tick\ndata: ${JSON.stringify({ pod: name, n })}\n\n`);
        if (++n >= count) res.end();
        else timer = setTimeout(tick, interval);
      };
      let timer = setTimeout(tick, 0);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (url.pathname === "/stream") {
      const count = Number(url.searchParams.get("chunks") ?? 5);
      const interval = Number(url.searchParams.get("interval") ?? 100);
      res.writeHead(200, { "content-type": "text/plain" });
      let n = 0;
      const timer = setInterval(() => {
        res.write(`chunk ${n} from ${name}\n`);
        if (++n >= count) {
          clearInterval(timer);
          res.end();
        }
      }, interval);
      res.on("close", () => clearInterval(timer));
      return;
    }
    if (url.pathname.startsWith("/delay/")) {
      const ms = Number(url.pathname.slice("/delay/".length));
      const timer = setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(echo());
      }, ms);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (url.pathname.startsWith("/status/")) {
      res.writeHead(Number(url.pathname.slice("/status/".length)), { "content-type": "application/json" });
      res.end(echo());
      return;
    }
    if (url.pathname.startsWith("/raw-status/")) {
      // By hand: node's own writer would not send a 101 to a plain request, and this pod must misbehave.
      const code = url.pathname.slice("/raw-status/".length).replace(/\D/g, "");
      req.socket.end(
        `HTTP/1.1 ${code} Raw\r\nx-pod: ${name}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      );
      return;
    }
    if (url.pathname === "/gzip") {
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
      res.end(gzipSync(Buffer.from(`compressed hello from ${name}\n`)));
      return;
    }
    if (url.pathname === "/redirect") {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(echo());
  };

  const start = async () => {
    server = http.createServer(handle);
    wss = new WebSocketServer({ noServer: true });
    wss.on("headers", (headers) => headers.push(`x-pod: ${name}`));
    wss.on("connection", (socket) => {
      socket.on("message", (data, isBinary) => {
        const text = isBinary ? undefined : data.toString();
        if (text === "whoami") socket.send(name);
        else if (text?.startsWith("whoami:")) socket.send(`${name}:${text.slice("whoami:".length)}`);
        else socket.send(data, { binary: isBinary });
      });
    });
    server.on("upgrade", (req, socket, head) => {
      if (record)
        requests.push({
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: "",
          at: Date.now(),
        });
      wss!.handleUpgrade(req, socket, head, (ws) => wss!.emit("connection", ws, req));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(boundPort, "127.0.0.1", () => resolve());
    });
    boundPort = (server.address() as AddressInfo).port;
  };

  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await start();
  return {
    name,
    get port() {
      return boundPort;
    },
    get url() {
      return `http://127.0.0.1:${boundPort}`;
    },
    requests,
    failNext(count, status) {
      failures = { count, status };
    },
    delayNext(count, ms) {
      delays = { count, ms };
    },
    stop,
    start,
    running: () => server !== undefined,
  };
}
