/**
 * Session persistence in the request: read the client's value, decide whether it still pins an
 * endpoint, and after the exchange say what the client should carry next. Signing and checking values
 * is `affinity.ts`; this module is the glue between them, the draft and the response.
 *
 * The value is the gateway's own: it is taken out of the request (the cookie from `Cookie`, or the
 * header) before the origin sees it.
 *
 * Without a `SESSION_SECRET` affinity is off — requests are balanced as if the rule had no
 * `sessionPersistence` — and the isolate logs one warning. A missing secret must not take traffic down.
 */
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { Env } from "../gateway/env.ts";
import type { CompiledSessionPersistence } from "../routing/types.ts";
import { needsRefresh, type SessionValue, sessionCookie, signSession, verifySession } from "./affinity.ts";
import type { CompiledCluster, CompiledClusters, CompiledEndpoint } from "./clusters.ts";
import { isBackendOf, isHealthy, type WeightedBackends } from "./pick.ts";

export interface SessionState {
  readonly persistence: CompiledSessionPersistence;
  readonly secret: string;
  /** A valid value the client presented. */
  readonly presented: SessionValue | undefined;
  /** Where that value sends the request now: set only when the endpoint is one of this rule's and healthy. */
  readonly pinned: { readonly cluster: CompiledCluster; readonly endpoint: CompiledEndpoint } | undefined;
}

/** How the request related to its session, for the access log. */
export type SessionOutcome = "kept" | "new" | "moved";

let warnedMissingSecret = false;

export async function readSession(
  persistence: CompiledSessionPersistence | undefined,
  draft: UpstreamDraft,
  env: Env,
  clusters: CompiledClusters,
  backends: WeightedBackends,
  now: number,
): Promise<SessionState | undefined> {
  if (persistence === undefined) return undefined;
  const secret = typeof env.SESSION_SECRET === "string" ? env.SESSION_SECRET : "";
  if (secret === "") {
    warnOnceMissingSecret();
    return undefined;
  }
  const raw = takePresentedValue(persistence, draft.headers);
  const presented = await verifySession(persistence, raw, secret, now);
  const found = presented && clusters.endpointsById.get(presented.endpointId);
  const pinned =
    found && isBackendOf(backends, found.cluster.name) && isHealthy(found.endpoint, now) ? found : undefined;
  return { persistence, secret, presented, pinned };
}

/**
 * The header to send back — `Set-Cookie` or the session header — naming the endpoint that served; or
 * undefined when the client's value is still right and fresh.
 */
export async function sessionUpdate(
  state: SessionState,
  served: CompiledEndpoint,
  now: number,
  secure: boolean,
): Promise<{ name: string; value: string; outcome: SessionOutcome } | undefined> {
  const { persistence, presented } = state;
  const same = presented?.endpointId === served.id;
  if (same && !needsRefresh(persistence, presented, now)) return undefined;
  const value: SessionValue = {
    endpointId: served.id,
    issuedAt: same ? presented.issuedAt : now,
    lastSeenAt: now,
  };
  const signed = await signSession(persistence, value, state.secret);
  const outcome: SessionOutcome = same ? "kept" : presented ? "moved" : "new";
  if (persistence.type === "Header") return { name: persistence.sessionName, value: signed, outcome };
  return { name: "set-cookie", value: sessionCookie(persistence, signed, secure), outcome };
}

function takePresentedValue(persistence: CompiledSessionPersistence, headers: Headers): string | undefined {
  if (persistence.type === "Header") {
    const value = headers.get(persistence.sessionName);
    headers.delete(persistence.sessionName);
    return value ?? undefined;
  }
  const cookie = headers.get("cookie");
  if (cookie === null) return undefined;
  const { value, rest } = takeCookie(cookie, persistence.sessionName);
  if (value === undefined) return undefined;
  if (rest === "") headers.delete("cookie");
  else headers.set("cookie", rest);
  return value;
}

/** The named cookie's (last) value, and the `Cookie` header without it. */
export function takeCookie(header: string, name: string): { value: string | undefined; rest: string } {
  let value: string | undefined;
  const kept: string[] = [];
  for (const pair of header.split(";")) {
    const trimmed = pair.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0 && trimmed.slice(0, eq).trim() === name) value = trimmed.slice(eq + 1).trim();
    else kept.push(trimmed);
  }
  return { value, rest: kept.join("; ") };
}

/** A cookie's value from a `Cookie` header, for ConsistentHash on a cookie. */
export function cookieValue(header: string | null, name: string): string | undefined {
  return header === null ? undefined : takeCookie(header, name).value;
}

function warnOnceMissingSecret(): void {
  if (warnedMissingSecret) return;
  warnedMissingSecret = true;
  console.warn(
    JSON.stringify({
      type: "warning",
      message: "SESSION_SECRET is not set: sessionPersistence is disabled and requests are balanced normally",
    }),
  );
}
