/**
 * Endpoint eligibility with both health checks: an endpoint takes traffic only when neither says down,
 * and when none may, all are tried (panic mode). The balancers themselves: balancing.workerd.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import {
  type EndpointVerdict,
  installActiveVerdicts,
  resetActiveHealthForTests,
} from "../../src/upstream/active-health.ts";
import { compileClusters } from "../../src/upstream/clusters.ts";
import { recordOutcome, resetHealthForTests } from "../../src/upstream/health.ts";
import { isHealthy, pickEndpoint } from "../../src/upstream/pick.ts";

const clusters = compileClusters(
  RouteTableSchema.parse({
    version: 1,
    clusters: {
      pods: {
        endpoints: ["a", "b", "c"].map((name, i) => ({ url: `http://127.0.0.1:900${i}`, name })),
        healthCheck: { passive: { consecutiveGatewayErrors: 1 }, active: { path: "/healthz" } },
      },
    },
    routes: [],
  }),
);
const cluster = clusters.byName.get("pods")!;
type Endpoint = (typeof cluster.endpoints)[number];
const [a, b, c] = cluster.endpoints as [Endpoint, Endpoint, Endpoint];
const down: EndpointVerdict = {
  verdict: "down",
  since: 0,
  checkedAt: 0,
  result: "503",
  consecutiveSuccesses: 0,
  consecutiveFailures: 1,
};

function markDown(...endpoints: Endpoint[]) {
  installActiveVerdicts("v", new Map(endpoints.map((e) => [e.healthKey, down])), Date.now() + 60_000);
}

function picks(count: number): Set<string> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const e = pickEndpoint(cluster, {
      tried: new Set(),
      hashKey: undefined,
      now: Date.now(),
      random: Math.random,
    });
    if (e) seen.add(e.label);
  }
  return seen;
}

afterEach(() => {
  resetActiveHealthForTests();
  resetHealthForTests();
});

describe("pickEndpoint with active and passive health", () => {
  it("skips endpoints an active check marks down", () => {
    markDown(a);
    expect(isHealthy(a, Date.now())).toBe(false);
    expect(picks(9)).toEqual(new Set(["b", "c"]));
  });

  it("takes an endpoint only when neither check says down", () => {
    markDown(a);
    recordOutcome(b.healthKey, cluster.health, true, Date.now());
    expect(picks(9)).toEqual(new Set(["c"]));
  });

  it("tries them all when none is up (panic mode)", () => {
    markDown(a, b);
    recordOutcome(c.healthKey, cluster.health, true, Date.now());
    expect(picks(30)).toEqual(new Set(["a", "b", "c"]));
  });
});
