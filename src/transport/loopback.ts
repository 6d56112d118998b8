/**
 * Where plain HTTP is harmless: loopback never leaves the machine, so `wrangler dev`, the demo and the
 * tests may use it, while anything else must be HTTPS unless a cluster explicitly allows otherwise.
 */

/** RFC 6761 `localhost` and `*.localhost`, 127.0.0.0/8, ::1. `hostname` is `URL.hostname` (IPv6 in [ ]). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "[::1]" ||
    /^127(\.\d{1,3}){3}$/.test(host)
  );
}

/** Plain HTTP to a host that is not loopback: the request (and any credential in it) crosses a network. */
export function isPlainHttpOffMachine(url: URL): boolean {
  return url.protocol === "http:" && !isLoopbackHost(url.hostname);
}
