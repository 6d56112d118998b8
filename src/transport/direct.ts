/**
 * `direct`: a plain `fetch` of the request the data path built, to the endpoint URL as written.
 * For local development, tests, and origins that are on the internet anyway.
 *
 * Plain HTTP leaves the machine only when the cluster says so: an `http:` endpoint whose host is not
 * loopback (localhost, *.localhost, 127.0.0.0/8, ::1) makes the cluster refuse every request with
 * `transport_misconfigured` unless `allowInsecure: true`. Loopback is always allowed, which is exactly
 * what `wrangler dev` and the tests use (a deployed worker cannot reach loopback at all).
 */
import type { Cluster } from "../config/schema.ts";
import type { TransportResolution } from "./index.ts";
import { isPlainHttpOffMachine } from "./loopback.ts";

type DirectTransport = Extract<Cluster["transport"], { type: "direct" }>;

export function directTransport(cluster: Cluster, transport: DirectTransport): TransportResolution {
  if (!transport.allowInsecure) {
    const insecure = cluster.endpoints.filter((e) => isPlainHttpOffMachine(new URL(e.url)));
    if (insecure.length > 0) {
      // The endpoint URL itself stays out of the message: it is internal, and this text reaches clients.
      return {
        ok: false,
        code: "transport_misconfigured",
        message: `${insecure.length} of the cluster's endpoints use plain HTTP to a non-loopback host; use https, a vpc or access transport, or set transport.allowInsecure: true`,
      };
    }
  }
  return { ok: true, send: (request) => fetch(request) };
}
