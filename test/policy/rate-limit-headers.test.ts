/** The 429 answer and the draft-ietf-httpapi-ratelimit-headers-10 fields. */
import { describe, expect, it } from "vitest";
import {
  rateLimitedResponse,
  rateLimitField,
  rateLimitPolicyField,
} from "../../src/policy/rate-limit-headers.ts";

const burst = { policyName: "limit-1", requests: 10, periodSeconds: 10 };
const budget = { policyName: "limit-0", requests: 100, periodSeconds: 60 };

describe("RateLimit fields", () => {
  it("lists every policy as a Structured Field List member with q and w", () => {
    expect(rateLimitPolicyField([budget, burst])).toBe('"limit-0";q=100;w=60, "limit-1";q=10;w=10');
  });

  it("writes the current state with r and t", () => {
    expect(rateLimitField("limit-1", 0, 7)).toBe('"limit-1";r=0;t=7');
  });
});

describe("rateLimitedResponse", () => {
  it("is a 429 JSON answer with Retry-After (whole seconds, at least 1) and both fields", async () => {
    const response = rateLimitedResponse('"limit-0";q=100;w=60, "limit-1";q=10;w=10', burst, 0.2, "req-1");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("ratelimit")).toBe('"limit-1";r=0;t=1');
    expect(response.headers.get("ratelimit-policy")).toBe('"limit-0";q=100;w=60, "limit-1";q=10;w=10');
    expect(response.headers.get("x-request-id")).toBe("req-1");
    expect(await response.json()).toEqual({
      error: "rate_limited",
      message: "over the limit of 10 requests per 10s; retry after 1s",
      requestId: "req-1",
    });
  });
});
