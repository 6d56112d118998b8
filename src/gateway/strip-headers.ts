/**
 * The headers the origin receives start from the client's, minus everything a client must not be able
 * to say: hop-by-hop headers (RFC 9110 §7.6.1), identity headers the gateway itself asserts, and the
 * proxy chain, which is rebuilt from what Cloudflare observed rather than what the client claims.
 */
import { claimHeaderNames } from "../auth/claims.ts";
import type { RouteTable } from "../config/schema.ts";

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);

/**
 * Headers a client must not be able to assert to an origin, whatever the table says: each is one that
 * common origins, frameworks or proxies believe. Stripped in the same pass as the hop-by-hop headers;
 * docs/data-path.md lists them with the same reasons.
 */
const ALWAYS_SPOOFABLE = [
  // The proxy chain and the client's address: rebuilt below from what Cloudflare observed
  // (X-Forwarded-For/-Proto/-Host), or not sent at all. Frameworks take the client's address, scheme,
  // host or port from these (Express `trust proxy`, Rails, Spring `ForwardedHeaderFilter`, nginx
  // `real_ip`, Akamai/Cloudflare `True-Client-IP`).
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-scheme",
  "x-forwarded-server",
  "forwarded",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  // The request URL, overridden: IIS URL Rewrite and Symfony (`X-Original-URL`, `X-Rewrite-URL`), auth
  // subrequests (`X-Forwarded-Uri`), prefix-aware frameworks (`X-Forwarded-Prefix`, `X-Forwarded-Path`),
  // Envoy's own record of a rewritten path. An origin acting on these acts on a path the gateway never
  // matched or authorised.
  "x-original-url",
  "x-rewrite-url",
  "x-forwarded-uri",
  "x-forwarded-path",
  "x-forwarded-prefix",
  "x-envoy-original-path",
  // The method, overridden (Rails, Laravel, Express `method-override`, ASP.NET, Google APIs): a GET
  // the gateway let through as a GET would become a DELETE at the origin.
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  // The client certificate: only the TLS stage asserts it (src/tls).
  "x-forwarded-client-cert",
];

/**
 * Prefixes of header names only the gateway may set: `Cf-Access-*` is Cloudflare Access's identity
 * (`Cf-Access-Authenticated-User-Email`, `Cf-Access-Jwt-Assertion`) and service token
 * (`Cf-Access-Client-Id`/`-Secret`); the `access` transport sets its own (src/transport/access.ts).
 */
const SPOOFABLE_PREFIXES: readonly string[] = ["cf-access-"];

/**
 * Every header name that a client could use to pose as someone: the fixed list, every
 * `claimToHeaders` header and every client-certificate `forwardHeader` anywhere in the table. Computed
 * once per table; stripping is then per request regardless of which route matches.
 */
export function spoofableHeaders(table: RouteTable): readonly string[] {
  const names = new Set(ALWAYS_SPOOFABLE);
  const forward = (h: string | undefined) => h && names.add(h.toLowerCase());
  forward(table.tls?.clientCertificate?.forwardHeader);
  for (const route of table.routes) forward(route.tls?.clientCertificate?.forwardHeader);
  for (const header of claimHeaderNames(table)) names.add(header);
  return [...names];
}

export function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.toLowerCase() === "websocket";
}

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110 §7.6.1): those the
 * `Connection` header names, then the fixed list and every `Proxy-*`. Used on requests to the origin and
 * on the origin's responses. For a WebSocket upgrade (`keepWebSocketUpgrade`) the handshake's own
 * `Upgrade: websocket` and `Connection: Upgrade` are set back, since they are the request's meaning.
 * `alsoRemove` (lower-case names) and `alsoRemovePrefixes` go in the same pass.
 *
 * One pass over the names present, deleting only those: in workerd every `Headers` call crosses into
 * the runtime, and deleting a fixed list of mostly absent names was a tenth of the gateway's own CPU
 * time per request (profiled in workerd, docs/benchmarks.md).
 */
export function removeHopByHop(
  headers: Headers,
  keepWebSocketUpgrade: boolean,
  alsoRemove: readonly string[] = [],
  alsoRemovePrefixes: readonly string[] = [],
): void {
  const present: string[] = [];
  let connection: string | undefined;
  for (const [name, value] of headers) {
    present.push(name);
    if (name === "connection") connection = value;
  }
  // Nearly every client and origin says only `keep-alive` or `close`: nothing more to remove then.
  const listed =
    connection === undefined || PLAIN_CONNECTION.test(connection) ? undefined : connectionTokens(connection);
  for (const name of present) {
    if (
      HOP_BY_HOP.has(name) ||
      name.startsWith("proxy-") ||
      listed?.has(name) ||
      alsoRemove.includes(name) ||
      alsoRemovePrefixes.some((prefix) => name.startsWith(prefix))
    ) {
      headers.delete(name);
    }
  }
  if (keepWebSocketUpgrade) {
    headers.set("upgrade", "websocket");
    headers.set("connection", "Upgrade");
  }
}

/** A `Connection` value that names no header beyond the fixed list (`keep-alive` is on it). */
const PLAIN_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;

/** The header names a `Connection` value lists, lower-cased. */
function connectionTokens(value: string): Set<string> {
  const names = new Set<string>();
  for (const token of value.split(",")) {
    const name = token.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

export function prepareUpstreamHeaders(
  request: Request,
  url: URL,
  spoofable: readonly string[],
  requestId: string,
): Headers {
  const headers = new Headers(request.headers);
  const websocket = isWebSocketUpgrade(headers);
  removeHopByHop(headers, websocket, spoofable, SPOOFABLE_PREFIXES);

  // The client's own chain is not trusted: the only address we know is the one Cloudflare saw.
  const clientIp = request.headers.get("cf-connecting-ip");
  if (clientIp) headers.set("x-forwarded-for", clientIp);
  headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
  headers.set("x-forwarded-host", url.host);
  headers.set("x-request-id", requestId);
  if (!isValidTraceparent(headers.get("traceparent"))) {
    headers.set("traceparent", newTraceparent());
    headers.delete("tracestate");
  }
  return headers;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

function isValidTraceparent(value: string | null): boolean {
  const m = value ? TRACEPARENT.exec(value) : null;
  return !!m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!);
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
/** Refilled on every call and read at once: no buffer allocated per request. */
const TRACE_BYTES = new Uint8Array(24);

function newTraceparent(): string {
  const bytes = crypto.getRandomValues(TRACE_BYTES);
  let hex = "";
  for (const byte of bytes) hex += HEX[byte]!;
  return `00-${hex.slice(0, 32)}-${hex.slice(32, 48)}-01`;
}
