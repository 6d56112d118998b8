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
  | { readonly kind: "failed"; readonly message: string }
  /** An answer that is not one a client can be given: a 101 without a WebSocket, a status outside 200–599. */
  | { readonly kind: "invalid"; readonly message: string };

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

/** Whether the request sends the draft's body: GET and HEAD never do. */
export function sendsBody(draft: UpstreamDraft): boolean {
  return draft.body !== null && draft.method !== "GET" && draft.method !== "HEAD";
}

export function upstreamRequest(
  draft: UpstreamDraft,
  search: string,
  cluster: CompiledCluster,
  endpoint: CompiledEndpoint,
  signal: AbortSignal | undefined,
  /** What to send as the body, when not the draft's own stream (exchange.ts tracks it). */
  body: ReadableStream | null = draft.body,
): Request {
  draft.headers.set("host", upstreamHost(draft, cluster, endpoint));
  return new Request(endpoint.origin + draft.path + search, {
    method: draft.method,
    headers: draft.headers,
    body: sendsBody(draft) ? body : null,
    redirect: "manual",
    signal: signal ?? null,
  });
}

/**
 * Sends one attempt. `timeoutMs` (0 = none) bounds the wait for the response headers only: once they
 * are here the timer is gone, so a WebSocket or an event stream lives as long as both ends keep it.
 * An answer no client can be given (`invalidAnswer`) is the origin's fault, like a broken connection.
 */
export async function sendAttempt(
  send: (request: Request) => Promise<Response>,
  build: (signal: AbortSignal | undefined) => Request,
  timeoutMs: number,
): Promise<AttemptResult> {
  const controller = timeoutMs > 0 ? new AbortController() : undefined;
  const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
  try {
    const response = await send(build(controller?.signal));
    const invalid = invalidAnswer(response);
    if (invalid === undefined) return { kind: "response", response };
    await response.body?.cancel().catch(() => {});
    return { kind: "invalid", message: invalid };
  } catch (err) {
    if (controller?.signal.aborted) return { kind: "timeout" };
    return { kind: "failed", message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why an origin's answer cannot be passed on, if it cannot: a `Response` holds only 200–599, and a `101`
 * only with the WebSocket it switched to (an origin answering `101` to a request that asked for no
 * upgrade, or a status like `600`, is broken; workerd hands both over as they came).
 */
function invalidAnswer(response: Response): string | undefined {
  const { status } = response;
  if (status === 101) return response.webSocket ? undefined : "status 101 without an upgrade";
  if (status < 200 || status > 599) return `status ${status}`;
  return undefined;
}
