/** The binding backend: delta scaling, the simulator's call form, and wrangler.toml's declared capacity. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { BINDING_CAPACITY, BINDING_MAX_REQUESTS } from "../../src/config/constants.ts";
import type { Env } from "../../src/gateway/env.ts";
import type { CompiledRateLimit } from "../../src/policy/rate-limit-backend.ts";
import { RateLimitMisconfigured } from "../../src/policy/rate-limit-backend.ts";
import {
  BINDING_NAMES,
  bindingDelta,
  callsAllowed,
  hitBinding,
} from "../../src/policy/rate-limit-binding.ts";

const limit = (requests: number, periodSeconds = 10): CompiledRateLimit => ({
  policyName: "limit-0",
  requests,
  periodSeconds,
  backend: "RateLimitingBinding",
  delta: bindingDelta(requests),
  counterPrefix: "r#0#0",
  key: [{ kind: "clientAddress" }],
  usesClaims: false,
});

describe("bindingDelta", () => {
  it("lets exactly `requests` calls through for every count up to BINDING_MAX_REQUESTS", () => {
    for (let requests = 1; requests <= BINDING_MAX_REQUESTS; requests++) {
      expect(callsAllowed(bindingDelta(requests)), `requests ${requests}`).toBe(requests);
    }
  });

  it("is no longer exact somewhere above it (why validate stops there)", () => {
    const inexact = [];
    for (let requests = BINDING_MAX_REQUESTS + 1; requests <= 5000; requests++) {
      if (callsAllowed(bindingDelta(requests)) !== requests) inexact.push(requests);
    }
    expect(inexact.length).toBeGreaterThan(0);
  });
});

describe("wrangler.toml", () => {
  const toml = readFileSync(join(import.meta.dirname, "..", "..", "wrangler.toml"), "utf8");

  it("declares every binding once, at the top level (the production configuration), with BINDING_CAPACITY as its limit", () => {
    for (const [period, name] of Object.entries(BINDING_NAMES)) {
      const pattern = new RegExp(
        `name = "${name}"[\\s\\S]{0,120}?simple = \\{ limit = (\\d+), period = (\\d+) \\}`,
        "g",
      );
      const declared = [...toml.matchAll(pattern)];
      expect(declared, name).toHaveLength(1);
      for (const [, capacity, declaredPeriod] of declared) {
        expect(Number(capacity)).toBe(BINDING_CAPACITY);
        expect(declaredPeriod).toBe(period);
      }
    }
  });
});

describe("hitBinding", () => {
  it("sends the key and the delta to the deployed binding's form", async () => {
    const binding = { limit: vi.fn(async () => ({ success: true })) };
    const verdict = await hitBinding({ limit: limit(100), key: "k" }, {
      RATE_LIMIT_10S: binding,
    } as unknown as Env);
    expect(binding.limit).toHaveBeenCalledWith({ key: "k", delta: 10_000 });
    expect(verdict).toEqual({ allowed: true, remaining: undefined, resetSeconds: 10 });
  });

  it("answers 'missing' when the period's binding is not bound", async () => {
    await expect(hitBinding({ limit: limit(5, 60), key: "k" }, {} as Env)).rejects.toBeInstanceOf(
      RateLimitMisconfigured,
    );
  });

  it("falls back to the simulator's form (limit and period per call) when delta is refused, and stays on it", async () => {
    const binding = {
      limit: vi.fn(async (options: Record<string, unknown>) => {
        if ("delta" in options) throw new Error("bad rate limit options: [delta]");
        return { success: false };
      }),
    };
    const env = { RATE_LIMIT_60S: binding } as unknown as Env;
    const verdict = await hitBinding({ limit: limit(5, 60), key: "k" }, env);
    expect(verdict.allowed).toBe(false);
    expect(binding.limit).toHaveBeenLastCalledWith({ key: "k", limit: 5, period: 60 });
    await hitBinding({ limit: limit(5, 60), key: "k2" }, env);
    expect(binding.limit).toHaveBeenCalledTimes(3);
  });
});
