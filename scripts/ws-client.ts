/**
 * A WebSocket client for the demo, with nothing to install beyond `npm ci`:
 *
 *   npx tsx scripts/ws-client.ts URL [MESSAGE...]
 *
 * Sends each MESSAGE in turn and prints each reply; with no MESSAGE, sends every line read from stdin.
 * Closes once every message has its reply (or stdin ends). `--cookie VALUE` sends a Cookie header, to
 * reconnect with the session the gateway gave (the upgrade's Set-Cookie is printed). `--insecure` accepts
 * a certificate that cannot be verified: `wrangler dev --local-protocol https` serves a self-signed one.
 *
 * `*.localhost` names are resolved to 127.0.0.1 here: browsers and curl do so themselves (RFC 6761),
 * but Node's resolver asks the system, which often does not know them.
 */
import { lookup as systemLookup } from "node:dns";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import WebSocket from "ws";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { cookie: { type: "string" }, insecure: { type: "boolean" } },
});
const [url, ...messages] = positionals;
if (url === undefined) {
  process.stderr.write(
    "usage: npx tsx scripts/ws-client.ts ws://HOST:PORT/PATH [MESSAGE...] [--cookie VALUE] [--insecure]\n",
  );
  process.exit(2);
}

const lookup: typeof systemLookup = ((hostname: string, options: unknown, callback: unknown) => {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) {
    const done = callback as (
      err: null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void;
    if ((options as { all?: boolean }).all) done(null, [{ address: "127.0.0.1", family: 4 }]);
    else done(null, "127.0.0.1", 4);
    return;
  }
  systemLookup(hostname, options as never, callback as never);
}) as typeof systemLookup;

const socket = new WebSocket(url, {
  lookup,
  rejectUnauthorized: values.insecure !== true,
  ...(values.cookie ? { headers: { cookie: values.cookie } } : {}),
} as WebSocket.ClientOptions);

socket.on("upgrade", (response) => {
  const pod = response.headers["x-pod"];
  const cookies = response.headers["set-cookie"] ?? [];
  process.stdout.write(
    `connected${pod ? ` to ${pod}` : ""} (${response.headers["x-request-id"] ?? "no request id"})\n`,
  );
  for (const cookie of cookies) process.stdout.write(`set-cookie: ${cookie.split(";")[0]}\n`);
});
socket.on("error", (error) => {
  process.stderr.write(`ws-client: ${error.message}\n`);
  process.exitCode = 1;
});
socket.on("close", (code) => {
  process.stdout.write(`closed (${code})\n`);
});

let pending = 0;
let inputEnded = false;
const closeWhenDone = () => {
  if (inputEnded && pending === 0) socket.close(1000, "done");
};
socket.on("message", (data) => {
  process.stdout.write(`< ${data.toString()}\n`);
  pending--;
  closeWhenDone();
});
const send = (message: string) => {
  pending++;
  process.stdout.write(`> ${message}\n`);
  socket.send(message);
};

socket.on("open", () => {
  if (messages.length > 0) {
    for (const message of messages) send(message);
    inputEnded = true;
    return;
  }
  const input = createInterface({ input: process.stdin });
  input.on("line", send);
  input.on("close", () => {
    inputEnded = true;
    closeWhenDone();
  });
});
