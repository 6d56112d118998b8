/**
 * Our own forwarder: one attempt = one `Request` built from the draft, sent through the cluster's
 * transport, bounded in time up to the response headers. Bodies are never read here: the client's body
 * stream becomes the outgoing body and the origin's body stream becomes the client's, so the runtime
 * pumps bytes natively in both directions, as they arrive.
 *
 * Why not Hono's `proxy()`: it drops `Upgrade` (no WebSockets) and content encodings. Here:
 *   - `redirect: "manual"`: an origin's 3xx goes back to the client, never followed.
 *   - Compressed bodies pass through untouched: workerd keeps a fetched body in its content encoding as
 *     long as the stream reaches the outgoing `Response` unread, and sends those very bytes to a client
 *     that accepts the encoding (see docs/data-path.md#compression for what was measured).
 *   - WebSocket upgrades: the origin's 101 (with its `webSocket`) is what the client gets.
 */
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { CompiledCluster, CompiledEndpoint } from "./clusters.ts";

export type AttemptResult =
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "timeout" }
  | { readonly kind: "failed"; readonly message: string };

/** The query as it will be sent: the client's own bytes unless a stage changed the parameters. */
export function draftSearch(draft: UpstreamDraft, url: URL): string {
  // Most requests have no query and no stage added one: skip serialising two parameter lists.
  if (draft.query.size === 0 && url.search === "") return "";
  const query = draft.query.toString();
  if (query === url.searchParams.toString()) return url.search;
  return query === "" ? "" : `?${query}`;
}

/**
 * The `Host` the origin should see: a URLRewrite hostname, else the cluster's `hostname`, else the
 * endpoint's own. A Worker's `fetch` takes the Host from the URL and ignores a `host` header, so the
 * header is set here for the transports to act on: `vpc` and `access` move or drop it (src/transport);
 * `direct` connects to the endpoint URL, whose host is what the origin sees.
 */
export function upstreamHost(
  draft: UpstreamDraft,
  cluster: CompiledCluster,
  endpoint: CompiledEndpoint,
): string {
  return draft.hostOverride ?? cluster.hostname ?? endpoint.host;
}

export function upstreamRequest(
  draft: UpstreamDraft,
  search: string,
  cluster: CompiledCluster,
  endpoint: CompiledEndpoint,
  signal: AbortSignal | undefined,
): Request {
  draft.headers.set("host", upstreamHost(draft, cluster, endpoint));
  const hasBody = draft.body !== null && draft.method !== "GET" && draft.method !== "HEAD";
  return new Request(endpoint.origin + draft.path + search, {
    method: draft.method,
    headers: draft.headers,
    body: hasBody ? draft.body : null,
    redirect: "manual",
    signal: signal ?? null,
  });
}

/**
 * Sends one attempt. `timeoutMs` (0 = none) bounds the wait for the response headers only: once they
 * are here the timer is gone, so a WebSocket or an event stream lives as long as both ends keep it.
 */
export async function sendAttempt(
  send: (request: Request) => Promise<Response>,
  build: (signal: AbortSignal | undefined) => Request,
  timeoutMs: number,
): Promise<AttemptResult> {
  const controller = timeoutMs > 0 ? new AbortController() : undefined;
  const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
  try {
    return { kind: "response", response: await send(build(controller?.signal)) };
  } catch (err) {
    if (controller?.signal.aborted) return { kind: "timeout" };
    return { kind: "failed", message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
