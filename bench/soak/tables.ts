/**
 * The soak suite's route tables: one host, four kinds of traffic.
 *
 *   /session…        session persistence (cookie `gh-soak`) over the 3 pods: WebSockets and SSE
 *   /session-other…  the same route's other traffic, moved between two clusters by the pushes
 *   /load…           idempotent HTTP with retries and timeouts, for the killed and the slow pod
 *   /auth…           behind a remote JWKS, for the key-endpoint outage
 *   /added/N         one more route per push (push N adds /added/N)
 *
 * Every cluster ejects an endpoint after 3 gateway errors in a row, for `ejection` (short in the CI form,
 * so a pod's return is seen within the run).
 */
import { SOAK_HOST } from "./harness.ts";

export const SESSION_COOKIE = "gh-soak";
export const ISSUER = "https://issuer.soak.test/";
export const AUDIENCE = "soak-api";

export interface TableParams {
  pods: { name: string; url: string }[];
  jwksUri: string;
  ejection: string;
  jwksCacheDuration: string;
  jwksStaleDuration: string;
  /** Push number: adds /added/0 … /added/(push-1), and moves /session-other to `left` (even) or `right` (odd). */
  push: number;
}

/** Which pods `/session-other` reaches under push `push`. */
export function otherTrafficPods(params: Pick<TableParams, "pods" | "push">): string[] {
  const [a, b, c] = params.pods.map((p) => p.name);
  return params.push % 2 === 0 ? [a!, b!] : [c!];
}

export function soakTable(params: TableParams): unknown {
  const { pods, push } = params;
  const health = { passive: { consecutiveGatewayErrors: 3, baseEjectionTime: params.ejection } };
  const endpoints = (names: string[]) =>
    pods.filter((p) => names.includes(p.name)).map((p) => ({ name: p.name, url: p.url }));
  const [a, b, c] = pods.map((p) => p.name) as [string, string, string];
  const toLeft = push % 2 === 0;
  const added = Array.from({ length: push }, (_, i) => ({
    id: `added-${i}`,
    hostnames: [SOAK_HOST],
    rules: [
      { matches: [{ path: { type: "Exact", value: `/added/${i}` } }], backendRefs: [{ name: "pods" }] },
    ],
  }));
  return {
    version: 1,
    providers: {
      soak: {
        issuer: ISSUER,
        audiences: [AUDIENCE],
        remoteJWKS: {
          uri: params.jwksUri,
          timeout: "1s",
          cacheDuration: params.jwksCacheDuration,
          staleDuration: params.jwksStaleDuration,
        },
        algorithms: ["RS256"],
      },
    },
    clusters: {
      pods: { endpoints: endpoints([a, b, c]), healthCheck: health },
      left: { endpoints: endpoints([a, b]), healthCheck: health },
      right: { endpoints: endpoints([c]), healthCheck: health },
    },
    routes: [
      {
        id: "sessions",
        hostnames: [SOAK_HOST],
        rules: [
          {
            name: "live",
            matches: [{ path: { type: "PathPrefix", value: "/session" } }],
            backendRefs: [{ name: "pods" }],
            // The pods serve their event streams on /sse: /session/sse reaches them as /sse.
            filters: [
              {
                type: "URLRewrite",
                urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } },
              },
            ],
            sessionPersistence: { type: "Cookie", sessionName: SESSION_COOKIE },
          },
          {
            name: "other",
            matches: [{ path: { type: "PathPrefix", value: "/session-other" } }],
            backendRefs: [
              { name: "left", weight: toLeft ? 100 : 0 },
              { name: "right", weight: toLeft ? 0 : 100 },
            ],
          },
        ],
      },
      {
        id: "load",
        hostnames: [SOAK_HOST],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/load" } }],
            backendRefs: [{ name: "pods" }],
            timeouts: { request: "4s", backendRequest: "1s" },
            retry: { attempts: 2, codes: [502, 503, 504], backoff: "25ms" },
          },
        ],
      },
      {
        id: "auth",
        hostnames: [SOAK_HOST],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/auth" } }],
            backendRefs: [{ name: "pods" }],
            auth: { provider: "soak" },
          },
        ],
      },
      ...added,
    ],
  };
}
