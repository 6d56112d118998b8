/**
 * Drive the pipeline inside workerd up to and including the auth stage, and look at the upstream draft
 * it leaves: the exact headers and query the origin would receive. Uses the real matcher, the real
 * header stripping and the real `authenticate`; only the forwarder is left out, so identity headers can
 * be asserted whatever state the data path is in. End-to-end checks go through `gatewayFetch`.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import { type AuthOutcome, authenticate } from "../../src/auth/index.ts";
import type { RouteTableInput } from "../../src/config/schema.ts";
import type { GatewayConfig } from "../../src/gateway/compile.ts";
import type { UpstreamDraft } from "../../src/gateway/draft.ts";
import type { Env } from "../../src/gateway/env.ts";
import { prepareUpstreamHeaders } from "../../src/gateway/strip-headers.ts";
import { matchRoute, normalizeHost, normalizePath } from "../../src/routing/index.ts";
import { podUrl } from "../support/origins.ts";

export interface StageResult {
  outcome: AuthOutcome;
  draft: UpstreamDraft;
}

export const REQUEST_ID = "auth-test-request";

export async function throughAuth(
  gateway: GatewayConfig,
  url: string,
  init: RequestInit = {},
  options: { env?: Partial<Env>; background?: boolean } = {},
): Promise<StageResult> {
  const request = new Request(url, init);
  const parsed = new URL(request.url);
  const normalized = normalizePath(parsed.pathname, { allowEncodedSlashes: false });
  if (!normalized.ok) throw new Error(`bad test path ${parsed.pathname}`);
  const match = matchRoute(gateway.routing, {
    method: request.method,
    host: normalizeHost(parsed.host),
    path: normalized.path,
    query: parsed.searchParams,
    headers: request.headers,
  });
  if (!match) throw new Error(`no route for ${url}`);
  const draft: UpstreamDraft = {
    method: request.method,
    path: normalized.path,
    query: new URLSearchParams(parsed.search),
    headers: prepareUpstreamHeaders(request, parsed, gateway.spoofableHeaders, REQUEST_ID),
    hostOverride: undefined,
    body: request.body,
  };
  const ctx = createExecutionContext();
  const outcome = await authenticate({
    rule: match.rule,
    request,
    draft,
    auth: gateway.auth,
    env: { ...(env as unknown as Env), ...options.env } as Env,
    requestId: REQUEST_ID,
    ctx,
  });
  if (options.background !== false) await waitOnExecutionContext(ctx);
  return { outcome, draft };
}

/** `Authorization: Bearer <token>` plus any other headers. */
export function bearer(token: string, headers: Record<string, string> = {}): RequestInit {
  return { headers: { authorization: `Bearer ${token}`, ...headers } };
}

/** Asserts a pass and returns the claims and the draft. */
export function expectPass(result: StageResult): { claims: Record<string, unknown>; draft: UpstreamDraft } {
  if (!result.outcome.ok) {
    throw new Error(
      `expected the token to pass, got ${result.outcome.response.status} ${result.outcome.response.headers.get("www-authenticate")}`,
    );
  }
  return { claims: (result.outcome.claims ?? {}) as Record<string, unknown>, draft: result.draft };
}

export interface Refusal {
  status: number;
  challenge: string | null;
  body: { error: string; message: string; requestId: string };
  headers: Headers;
}

export async function expectRefusal(result: StageResult, status: number): Promise<Refusal> {
  if (result.outcome.ok) throw new Error(`expected ${status}, the request passed`);
  const response = result.outcome.response;
  expect(response.status).toBe(status);
  const body = (await response.json()) as Refusal["body"];
  expect(body.requestId).toBe(REQUEST_ID);
  return {
    status: response.status,
    challenge: response.headers.get("www-authenticate"),
    body,
    headers: response.headers,
  };
}

/** 401 `invalid_token` with this description. */
export async function expectInvalidToken(result: StageResult, description: string): Promise<Refusal> {
  const refusal = await expectRefusal(result, 401);
  expect(refusal.body.error).toBe("unauthorized");
  expect(refusal.challenge).toMatch(
    /^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+"$/,
  );
  expect(refusal.challenge).toContain(`error_description="${description}"`);
  return refusal;
}

type RuleInput = RouteTableInput["routes"][number]["rules"][number];
type ProvidersInput = NonNullable<RouteTableInput["providers"]>;

export const ISSUER = "https://issuer.test/";
export const HOST = "api.test";
/** A URL on the test host. */
export const url = (path: string) => `https://${HOST}${path}`;

/** One route on `api.test` whose rules all go to pod-a. */
export function authTable(providers: ProvidersInput, rules: RuleInput[]): RouteTableInput {
  return {
    version: 1,
    providers,
    clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
    routes: [
      { id: "api", hostnames: [HOST], rules: rules.map((r) => ({ backendRefs: [{ name: "pods" }], ...r })) },
    ],
  };
}

/** A rule for a path prefix, protected when `auth` is given. */
export function ruleAt(path: string, auth?: RuleInput["auth"], extra: Partial<RuleInput> = {}): RuleInput {
  return { matches: [{ path: { type: "PathPrefix", value: path } }], ...(auth ? { auth } : {}), ...extra };
}
