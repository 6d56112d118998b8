/**
 * `access`: an origin published on a Cloudflare Tunnel hostname that a Cloudflare Access application
 * protects with a Service Auth policy. The worker presents a service token — `CF-Access-Client-Id` and
 * `CF-Access-Client-Secret`, read from Worker secrets named by the table — on every request; Access
 * checks it at the edge, and the tunnel's ingress rule for that hostname carries it to the origin.
 *
 * `hostname` is the Access-protected hostname the requests go to. When it is given, it replaces the host
 * (and port) of every endpoint URL, keeping each URL's scheme and path; when it is omitted, each endpoint
 * URL must itself name an Access-protected hostname (one ingress rule per endpoint). Either way Access and
 * the tunnel route on the URL's host, so that is the `Host` the request carries: any other `Host` the
 * request was given is dropped (set the origin's own Host with cloudflared's `httpHostHeader`).
 *
 * Service tokens are credentials: they are only ever sent over HTTPS, or over plain HTTP to loopback
 * (local development and tests). The copies a client may send are stripped before any stage runs
 * (src/gateway/strip-headers.ts), and the transport sets its own values regardless.
 */
import type { Cluster } from "../config/schema.ts";
import type { Env } from "../gateway/env.ts";
import { lookupSecret } from "./bindings.ts";
import type { TransportResolution } from "./index.ts";
import { isPlainHttpOffMachine } from "./loopback.ts";

type AccessTransport = Extract<Cluster["transport"], { type: "access" }>;

export const ACCESS_CLIENT_ID = "cf-access-client-id";
export const ACCESS_CLIENT_SECRET = "cf-access-client-secret";

export function accessTransport(cluster: Cluster, transport: AccessTransport, env: Env): TransportResolution {
  const misconfigured = (message: string): TransportResolution => ({
    ok: false,
    code: "transport_misconfigured",
    message,
  });
  const target = transport.hostname === undefined ? undefined : parseHostname(transport.hostname);
  if (target === null) return misconfigured(`transport.hostname "${transport.hostname}" is not a host name`);
  const exposed = cluster.endpoints.filter((e) => isPlainHttpOffMachine(accessUrl(new URL(e.url), target)));
  if (exposed.length > 0) {
    return misconfigured(
      `${exposed.length} of the cluster's endpoints would send the Access service token over plain HTTP; use https`,
    );
  }
  const clientId = lookupSecret(env, transport.clientId.binding);
  if (!clientId.ok) return misconfigured(clientId.problem);
  const clientSecret = lookupSecret(env, transport.clientSecret.binding);
  if (!clientSecret.ok) return misconfigured(clientSecret.problem);

  return {
    ok: true,
    send(request) {
      const forwarded = new Request(accessUrl(new URL(request.url), target), request);
      forwarded.headers.delete("host");
      forwarded.headers.set(ACCESS_CLIENT_ID, clientId.value);
      forwarded.headers.set(ACCESS_CLIENT_SECRET, clientSecret.value);
      return fetch(forwarded);
    },
  };
}

/** `host` or `host:port`; null when it is anything else (a scheme, a path, credentials). */
function parseHostname(hostname: string): URL | null {
  if (!/^[A-Za-z0-9.[\]:-]+$/.test(hostname)) return null;
  try {
    return new URL(`https://${hostname}`);
  } catch {
    return null;
  }
}

function accessUrl(url: URL, target: URL | undefined): URL {
  if (target) {
    url.hostname = target.hostname;
    url.port = target.port;
  }
  return url;
}
