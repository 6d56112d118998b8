/**
 * Rate limits through the real pipeline in workerd, counted by Miniflare's simulator of the Rate
 * Limiting binding (wrangler.toml's RATE_LIMIT_10S / RATE_LIMIT_60S) and by the Worker's own Durable
 * Object counter (RATE_LIMITER), forwarding to a real pod.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RateLimitCounter } from "../../src/policy/rate-limit-counter.ts";
import { jwks, makeKey, mint, type TestKey } from "../auth/tokens.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, resetAllPods, resetPod } from "../support/origins.ts";
import { type ErrorBody, earlyInWindow, from, nextWindow, policyTable, url } from "./support.ts";

beforeEach(async () => {
  await resetAllPods();
  vi.spyOn(console, "log").mockImplementation(() => {}); // the access log: one line per request
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function statuses(
  gateway: ReturnType<typeof gatewayFor>,
  count: number,
  init: RequestInit,
  path = "/",
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await gatewayFetch(gateway, url(path), init);
    await response.body?.cancel();
    out.push(response.status);
  }
  return out;
}

describe("the Rate Limiting binding backend", () => {
  it("lets `requests` through per period, answers 429 with Retry-After and RateLimit fields, and never forwards the refusal", async () => {
    const gateway = gatewayFor(
      policyTable({ rateLimit: [{ requests: 3, period: "10s", key: "clientAddress" }] }),
    );
    await earlyInWindow(10_000);
    expect(await statuses(gateway, 3, from("192.0.2.1"))).toEqual([200, 200, 200]);
    await resetPod("pod-a");

    const refused = await gatewayFetch(gateway, url("/"), from("192.0.2.1"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toContain("application/json");
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(refused.headers.get("ratelimit-policy")).toBe('"limit-0";q=3;w=10');
    expect(refused.headers.get("ratelimit")).toBe('"limit-0";r=0;t=10');
    const body = (await refused.json()) as ErrorBody;
    expect(body.error).toBe("rate_limited");
    expect(body.requestId).toBe(refused.headers.get("x-request-id"));
    expect(await podRequests("pod-a")).toHaveLength(0);
  });

  it("resets when the period turns", async () => {
    const gateway = gatewayFor(
      policyTable({ rateLimit: [{ requests: 2, period: "10s", key: "clientAddress" }] }),
    );
    await earlyInWindow(10_000);
    expect(await statuses(gateway, 3, from("192.0.2.2"))).toEqual([200, 200, 429]);
    await nextWindow(10_000);
    expect(await statuses(gateway, 3, from("192.0.2.2"))).toEqual([200, 200, 429]);
  }, 30_000);

  it("counts each client address apart, and IPv6 clients too", async () => {
    const gateway = gatewayFor(
      policyTable({ rateLimit: [{ requests: 1, period: "60s", key: "clientAddress" }] }),
    );
    await earlyInWindow(60_000, 2000);
    expect(await statuses(gateway, 2, from("192.0.2.3"))).toEqual([200, 429]);
    expect(await statuses(gateway, 2, from("2001:db8::3"))).toEqual([200, 429]);
    expect(await statuses(gateway, 1, from("192.0.2.4"))).toEqual([200]);
  });

  it("keys on CF-Connecting-IP, never on a client-sent X-Forwarded-For", async () => {
    const gateway = gatewayFor(
      policyTable({ rateLimit: [{ requests: 1, period: "60s", key: "clientAddress" }] }),
    );
    await earlyInWindow(60_000, 2000);
    expect(await statuses(gateway, 1, from("192.0.2.5", { "x-forwarded-for": "198.51.100.1" }))).toEqual([
      200,
    ]);
    expect(await statuses(gateway, 1, from("192.0.2.5", { "x-forwarded-for": "198.51.100.2" }))).toEqual([
      429,
    ]);
  });

  it("keys on a header, and on a list of parts (a client's key per address)", async () => {
    const gateway = gatewayFor(
      policyTable({
        rateLimit: [
          { requests: 2, period: "60s", key: { header: "x-api-key" } },
          { requests: 1, period: "60s", key: ["clientAddress", { header: "x-api-key" }] },
        ],
      }),
    );
    await earlyInWindow(60_000, 2000);
    const a1 = from("192.0.2.6", { "x-api-key": "key-a" });
    const a2 = from("192.0.2.7", { "x-api-key": "key-a" });
    const b1 = from("192.0.2.6", { "x-api-key": "key-b" });
    // key-a from .6: the per-address limit (1) refuses the second; its header count is then 2.
    expect(await statuses(gateway, 2, a1)).toEqual([200, 429]);
    // key-a from .7: its own pair is fresh, but key-a is now over 2 overall.
    expect(await statuses(gateway, 1, a2)).toEqual([429]);
    expect(await statuses(gateway, 1, b1)).toEqual([200]);
  });

  it("answers with the refusing limit when one of several refuses (every limit must allow)", async () => {
    const gateway = gatewayFor(
      policyTable({
        rateLimit: [
          { requests: 100, period: "60s", key: "clientAddress" },
          { requests: 2, period: "10s", key: "clientAddress" },
        ],
      }),
    );
    await earlyInWindow(10_000);
    expect(await statuses(gateway, 2, from("192.0.2.8"))).toEqual([200, 200]);
    const refused = await gatewayFetch(gateway, url("/"), from("192.0.2.8"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe('"limit-0";q=100;w=60, "limit-1";q=2;w=10');
    expect(refused.headers.get("ratelimit")).toBe('"limit-1";r=0;t=10');
  });

  it("applies the table's default limits to a rule that says nothing, and a rule's own list replaces them", async () => {
    const defaults = { rateLimit: [{ requests: 1, period: "60s", key: "clientAddress" as const }] };
    await earlyInWindow(60_000, 2000);
    const inherits = gatewayFor(policyTable({}, { defaults }));
    expect(await statuses(inherits, 2, from("192.0.2.9"))).toEqual([200, 429]);
    const overrides = gatewayFor(policyTable({ rateLimit: [] }, { defaults }));
    expect(await statuses(overrides, 3, from("192.0.2.9"))).toEqual([200, 200, 200]);
  });

  it("answers 500 rate_limit_misconfigured when the binding is not bound", async () => {
    const gateway = gatewayFor(
      policyTable({ rateLimit: [{ requests: 1, period: "10s", key: "clientAddress" }] }),
    );
    const response = await gatewayFetch(gateway, url("/"), from("192.0.2.10"), {
      env: { RATE_LIMIT_10S: undefined },
    });
    expect(response.status).toBe(500);
    expect(((await response.json()) as ErrorBody).error).toBe("rate_limit_misconfigured");
  });
});

describe("limits keyed by a claim", () => {
  let key: TestKey;
  const ISSUER = "https://issuer.test/";
  const table = () =>
    policyTable(
      {
        auth: { provider: "idp" },
        rateLimit: [
          { requests: 2, period: "60s", key: "clientAddress" },
          { requests: 1, period: "60s", key: { claim: "sub" } },
        ],
      },
      { providers: { idp: { issuer: ISSUER, localJWKS: jwks(key) } } },
    );
  const bearer = (token: string, address: string): RequestInit =>
    from(address, { authorization: `Bearer ${token}` });

  beforeEach(async () => {
    key ??= await makeKey("ES256");
  });

  it("counts per verified subject, after auth", async () => {
    const gateway = gatewayFor(table());
    await earlyInWindow(60_000, 2000);
    const alice = await mint(key, { issuer: ISSUER, subject: "alice" });
    const bob = await mint(key, { issuer: ISSUER, subject: "bob" });
    expect(await statuses(gateway, 1, bearer(alice, "192.0.2.20"))).toEqual([200]);
    // alice again, from another address: her subject's quota is spent.
    expect(await statuses(gateway, 1, bearer(alice, "192.0.2.21"))).toEqual([429]);
    expect(await statuses(gateway, 1, bearer(bob, "192.0.2.21"))).toEqual([200]);
  });

  it("refuses on the address limit before auth: an invalid token past the limit gets 429, not 401", async () => {
    const gateway = gatewayFor(table());
    await earlyInWindow(60_000, 2000);
    expect(await statuses(gateway, 2, bearer("not-a-token", "192.0.2.22"))).toEqual([401, 401]);
    expect(await statuses(gateway, 1, bearer("not-a-token", "192.0.2.22"))).toEqual([429]);
  });
});

describe("the Durable Object backend", () => {
  it("counts exactly, says what remains, and resets when its window turns", async () => {
    const gateway = gatewayFor(
      policyTable({
        rateLimit: [{ requests: 3, period: "2s", key: "clientAddress", backend: "DurableObject" }],
      }),
    );
    await earlyInWindow(2000, 1200);
    expect(await statuses(gateway, 4, from("192.0.2.30"))).toEqual([200, 200, 200, 429]);
    const refused = await gatewayFetch(gateway, url("/"), from("192.0.2.30"));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(refused.headers.get("ratelimit")).toBe(`"limit-0";r=0;t=${retryAfter}`);
    await nextWindow(2000);
    expect(await statuses(gateway, 1, from("192.0.2.30"))).toEqual([200]);
  });

  it("keeps keys apart", async () => {
    const gateway = gatewayFor(
      policyTable({
        rateLimit: [{ requests: 1, period: "30s", key: { header: "x-tenant" }, backend: "DurableObject" }],
      }),
    );
    await earlyInWindow(30_000, 2000);
    expect(await statuses(gateway, 2, from("192.0.2.31", { "x-tenant": "a" }))).toEqual([200, 429]);
    expect(await statuses(gateway, 1, from("192.0.2.31", { "x-tenant": "b" }))).toEqual([200]);
  });

  it("forgets a key that went quiet: the alarm after its next window clears the object's storage", async () => {
    const namespace = env.RATE_LIMITER as unknown as DurableObjectNamespace<RateLimitCounter>;
    const stub = namespace.get(namespace.idFromName(`quiet-${Math.random()}`));
    expect((await stub.hit(5, 1000)).allowed).toBe(true);
    const stored = await runInDurableObject(stub, async (_, state) => ({
      window: await state.storage.get("window"),
      alarm: await state.storage.getAlarm(),
    }));
    expect(stored.window).toMatchObject({ count: 1, periodMs: 1000 });
    expect(stored.alarm).not.toBeNull();
    // Before the window after it has ended, the alarm keeps the count (and looks again later).
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_, state) => state.storage.get("window"))).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_, state) => state.storage.list())).toEqual(new Map());
    expect((await stub.hit(1, 1000)).allowed).toBe(true);
  });
});
