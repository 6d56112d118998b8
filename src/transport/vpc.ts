/**
 * `vpc`: a Workers VPC Service binding, `env[binding].fetch(request)`. The VPC Service (configured in
 * Cloudflare, not here) fixes where the request goes: its tunnel, its host or IP, its HTTP/HTTPS ports.
 * The URL given to `fetch` only supplies the scheme (plain HTTP or TLS from cloudflared to the service),
 * the path, and the host, which becomes both the `Host` header and the TLS SNI; its port is ignored.
 *
 * So the endpoint URL's host is what the origin sees as Host and SNI. When the route or cluster asks for
 * another Host (URLRewrite `hostname`, cluster `hostname`) and the request carries it as a `Host` header,
 * it is moved into the URL: a Worker's `fetch` does not send a `Host` header of its own, and Host and SNI
 * must agree for an origin that routes on either.
 */
import type { Env } from "../gateway/env.ts";
import { lookupFetcher } from "./bindings.ts";
import type { TransportResolution } from "./index.ts";

export function vpcTransport(binding: string, env: Env): TransportResolution {
  const fetcher = lookupFetcher(env, binding);
  if (!fetcher.ok) return { ok: false, code: "transport_misconfigured", message: fetcher.problem };
  const service = fetcher.value;
  return { ok: true, send: (request) => service.fetch(hostInUrl(request)) };
}

function hostInUrl(request: Request): Request {
  const host = request.headers.get("host");
  const url = new URL(request.url);
  if (!host || host.toLowerCase() === url.host) return request;
  const wanted = new URL(`${url.protocol}//${host}`);
  url.hostname = wanted.hostname;
  url.port = wanted.port;
  const moved = new Request(url, request);
  moved.headers.delete("host");
  return moved;
}
