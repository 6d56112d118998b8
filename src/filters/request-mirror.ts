/**
 * Gateway API `RequestMirror`: a copy of the request, as the earlier filters left it, goes to another
 * cluster in `ctx.waitUntil`, for `percent` of requests. The mirror's answer is discarded and its
 * failures are only logged: the client's response never waits for it and never changes because of it.
 *
 * Bodies: a mirror needs its own copy of the body, and copying means holding bytes the slower reader has
 * not taken yet. So a request body is mirrored only when the client declared it (`Content-Length`) and it
 * is at most `MIRROR_BODY_LIMIT`; the stream is then split (`tee`) between origin and mirror. A larger
 * or unsized body is not mirrored at all (logged as `mirror_skipped`) — a mirror without its body would
 * be a different request.
 */
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { Env } from "../gateway/env.ts";
import { resolveTransport } from "../transport/index.ts";
import type { CompiledClusters } from "../upstream/clusters.ts";
import { sendAttempt, upstreamRequest } from "../upstream/forward.ts";
import { pickEndpoint } from "../upstream/pick.ts";

export const MIRROR_BODY_LIMIT = 64 * 1024;
/** A mirror that has no response headers after this long is abandoned. */
export const MIRROR_TIMEOUT_MS = 10_000;

export interface MirrorPlan {
  readonly cluster: string;
  readonly percent: number;
}

export interface MirrorInput {
  readonly plan: MirrorPlan;
  readonly draft: UpstreamDraft;
  readonly search: string;
  readonly clusters: CompiledClusters;
  readonly env: Env;
  readonly ctx: ExecutionContext;
  readonly requestId: string;
  readonly random: () => number;
}

/** Starts the mirror in the background when this request is in its `percent`. */
export function startMirror(input: MirrorInput): void {
  const { plan, draft, random } = input;
  if (plan.percent <= 0 || random() * 100 >= plan.percent) return;
  const copy = copyForMirror(draft);
  if (!copy) {
    logMirror(input, "mirror_skipped", "request body too large or of unknown length to mirror");
    return;
  }
  input.ctx.waitUntil(sendMirror(input, copy));
}

/** A second draft with its own headers and, when the body may be copied, its own body stream. */
function copyForMirror(draft: UpstreamDraft): UpstreamDraft | undefined {
  const copy: UpstreamDraft = {
    ...draft,
    headers: new Headers(draft.headers),
    query: draft.query,
    body: null,
  };
  if (draft.body === null) return copy;
  const length = Number(draft.headers.get("content-length") ?? Number.NaN);
  if (!(length >= 0 && length <= MIRROR_BODY_LIMIT)) return undefined;
  const [forOrigin, forMirror] = draft.body.tee();
  draft.body = forOrigin;
  copy.body = forMirror;
  return copy;
}

async function sendMirror(input: MirrorInput, draft: UpstreamDraft): Promise<void> {
  const cluster = input.clusters.byName.get(input.plan.cluster);
  const endpoint =
    cluster &&
    pickEndpoint(cluster, { tried: new Set(), hashKey: undefined, now: Date.now(), random: input.random });
  if (!cluster || !endpoint) return logMirror(input, "mirror_failed", "the mirror cluster has no endpoint");
  const transport = resolveTransport(cluster.cluster, input.env);
  if (!transport.ok) return logMirror(input, "mirror_failed", transport.message);
  const result = await sendAttempt(
    transport.send,
    (signal) => upstreamRequest(draft, input.search, cluster, endpoint, signal),
    MIRROR_TIMEOUT_MS,
  );
  if (result.kind === "response") {
    await result.response.body?.cancel();
    return;
  }
  logMirror(input, "mirror_failed", result.kind === "timeout" ? "timed out" : result.message);
}

function logMirror(input: MirrorInput, type: string, message: string): void {
  console.warn(JSON.stringify({ type, requestId: input.requestId, cluster: input.plan.cluster, message }));
}
