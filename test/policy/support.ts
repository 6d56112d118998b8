/** Tables and requests for the traffic-policy suites: one route on `api.test` to pod-a, ids unique per call. */
import type { RouteTableInput } from "../../src/config/schema.ts";
import { podUrl } from "../support/origins.ts";

export type RuleInput = RouteTableInput["routes"][number]["rules"][number];
export const HOST = "api.test";
export const url = (path = "/") => `https://${HOST}${path}`;

let tables = 0;

/**
 * A table whose one rule carries `policy`. The route id is fresh on every call, so rate-limit counters
 * (kept per route and rule, in state that outlives a test) never carry over from one test to the next.
 */
export function policyTable(
  policy: Partial<RuleInput>,
  extra: Partial<RouteTableInput> = {},
): RouteTableInput {
  return {
    version: 1,
    clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
    ...extra,
    routes: [
      {
        id: `policy-${++tables}-${Math.random().toString(36).slice(2, 8)}`,
        hostnames: [HOST],
        rules: [{ backendRefs: [{ name: "pods" }], ...policy }],
      },
    ],
  };
}

/** From a client at `address` (as Cloudflare's edge sets `CF-Connecting-IP`). */
export function from(address: string, headers: Record<string, string> = {}): RequestInit {
  return { headers: { "cf-connecting-ip": address, ...headers } };
}

export interface ErrorBody {
  error: string;
  message: string;
  requestId: string;
}

/** Waits until `periodMs`-aligned window turns over (the simulator's and the counter object's windows). */
export async function nextWindow(periodMs: number): Promise<void> {
  const now = Date.now();
  await new Promise((resolve) => setTimeout(resolve, periodMs - (now % periodMs) + 50));
}

/** Starts a sequence early in a window, so it does not straddle a turn. */
export async function earlyInWindow(periodMs: number, spareMs = 3000): Promise<void> {
  if (periodMs - (Date.now() % periodMs) < spareMs) await nextWindow(periodMs);
}
