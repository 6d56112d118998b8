/**
 * The benchmark origin: a plain Node HTTP server on 127.0.0.1 that reads and discards any request body
 * and answers every request with the same 1 KiB body. It runs in its own process so that the load
 * generator never shares an event loop with it. Prints its port on stdout once listening.
 *
 *   node --import tsx bench/support/origin.ts [PORT]
 */
import { createServer } from "node:http";

export const ORIGIN_BODY_BYTES = 1024;
const body = Buffer.alloc(ORIGIN_BODY_BYTES, "x");

const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "text/plain", "content-length": body.byteLength });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const address = server.address();
  console.log(typeof address === "object" && address ? address.port : "");
});
// Gone with the bench: on SIGTERM, and when the parent's end of stdin closes (even if it was killed).
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
