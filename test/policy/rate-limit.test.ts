/** Compiling a rule's limits, their keys, and how several verdicts make one answer (backends faked). */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RateLimit } from "../../src/config/schema.ts";
import type { Env } from "../../src/gateway/env.ts";
import { compileRateLimits, counterKey, enforceRateLimits } from "../../src/policy/rate-limit.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

const limit = (overrides: Partial<RateLimit>): RateLimit => ({
  requests: 10,
  period: "10s",
  key: "clientAddress",
  backend: "RateLimitingBinding",
  ...overrides,
});

describe("compileRateLimits", () => {
  it("puts limits keyed without a claim before auth and the rest after", () => {
    const plan = compileRateLimits(
      [
        limit({}),
        limit({ key: [{ header: "X-Api-Key" }, { claim: "sub" }], period: "60s" }),
        limit({ key: { header: "X-Api-Key" } }),
      ],
      "api#0",
    )!;
    expect(plan.beforeAuth.map((l) => l.policyName)).toEqual(["limit-0", "limit-2"]);
    expect(plan.afterAuth.map((l) => l.policyName)).toEqual(["limit-1"]);
    expect(plan.afterAuth[0]!.key).toEqual([
      { kind: "header", name: "x-api-key" },
      { kind: "claim", name: "sub", path: ["sub"] },
    ]);
    expect(plan.policyField).toBe('"limit-0";q=10;w=10, "limit-1";q=10;w=60, "limit-2";q=10;w=10');
  });

  it("is undefined for no limits (an empty list turns the defaults off)", () => {
    expect(compileRateLimits(undefined, "api#0")).toBeUndefined();
    expect(compileRateLimits([], "api#0")).toBeUndefined();
  });

  it("refuses a binding period the binding does not have (a hand-written record)", () => {
    expect(() => compileRateLimits([limit({ period: "30s" })], "api#0")).toThrow(/rateLimit\[0\]\.period/);
  });
});

describe("counterKey", () => {
  const [compiled] = compileRateLimits(
    [limit({ key: [{ header: "a" }, { header: "b" }] })],
    "api#0",
  )!.beforeAuth;
  const request = (headers: Record<string, string>) => new Request("https://x.test/", { headers });

  it("prefixes the rule and the limit, and writes each part with its length", () => {
    expect(counterKey(compiled!, request({ a: "x", b: "yz" }), undefined)).toBe("api#0#0|1:x|2:yz");
  });

  it("cannot be made to collide by moving text between parts", () => {
    const one = counterKey(compiled!, request({ a: "x|1:y", b: "z" }), undefined);
    const two = counterKey(compiled!, request({ a: "x", b: "y|1:z" }), undefined);
    expect(one).not.toBe(two);
  });

  it("counts a missing part as the empty value, and reads nested and non-string claims", () => {
    const [claimed] = compileRateLimits(
      [limit({ key: [{ claim: "org.id" }, { claim: "roles" }] })],
      "r",
    )!.afterAuth;
    expect(counterKey(claimed!, request({}), { org: { id: "acme" }, roles: ["a"] })).toBe(
      'r#0|4:acme|5:["a"]',
    );
    expect(counterKey(claimed!, request({}), {})).toBe("r#0|0:|0:");
  });
});

describe("enforceRateLimits", () => {
  const request = new Request("https://x.test/", { headers: { "cf-connecting-ip": "192.0.2.1" } });
  const binding = (answers: Record<string, boolean>) => ({
    limit: async ({ key }: { key: string }) => ({ success: answers[key.split("|")[0]!] ?? true }),
  });

  it("allows when every limit allows, and answers with the refusing limit with the longest wait", async () => {
    const plan = compileRateLimits([limit({}), limit({ period: "60s" }), limit({ requests: 5 })], "r")!;
    const env = {
      RATE_LIMIT_10S: binding({ "r#0": true, "r#2": false }),
      RATE_LIMIT_60S: binding({ "r#1": false }),
    } as unknown as Env;
    const refused = await enforceRateLimits(plan, plan.beforeAuth, {
      request,
      claims: undefined,
      env,
      requestId: "q",
    });
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get("ratelimit")).toBe('"limit-1";r=0;t=60');

    const allowEnv = { RATE_LIMIT_10S: binding({}), RATE_LIMIT_60S: binding({}) } as unknown as Env;
    expect(
      await enforceRateLimits(plan, plan.beforeAuth, {
        request,
        claims: undefined,
        env: allowEnv,
        requestId: "q",
      }),
    ).toBeUndefined();
  });

  it("lets the request through and logs when a backend fails", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const plan = compileRateLimits([limit({})], "r")!;
    const env = {
      RATE_LIMIT_10S: { limit: async () => Promise.reject(new Error("boom")) },
    } as unknown as Env;
    expect(
      await enforceRateLimits(plan, plan.beforeAuth, { request, claims: undefined, env, requestId: "q" }),
    ).toBeUndefined();
    expect(error.mock.calls[0]![0]).toContain("rate_limit_backend_failed");
  });

  it("answers 500 rate_limit_misconfigured when a backend is not bound", async () => {
    const plan = compileRateLimits([limit({ backend: "DurableObject" })], "r")!;
    const refused = await enforceRateLimits(plan, plan.beforeAuth, {
      request,
      claims: undefined,
      env: {} as Env,
      requestId: "q",
    });
    expect(refused?.status).toBe(500);
    expect(((await refused!.json()) as { error: string }).error).toBe("rate_limit_misconfigured");
  });
});
