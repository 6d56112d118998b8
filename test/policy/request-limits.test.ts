/** Size limits that need no stream: the target and header counts, and Content-Length up front. */
import { describe, expect, it } from "vitest";
import type { UpstreamDraft } from "../../src/gateway/draft.ts";
import { checkRequestLimits, compileRequestLimits, headerBytes } from "../../src/policy/request-limits.ts";

const draftOf = (request: Request): UpstreamDraft => ({
  method: request.method,
  path: "/",
  query: new URLSearchParams(),
  headers: new Headers(),
  hostOverride: undefined,
  body: request.body,
});

function check(limits: Parameters<typeof compileRequestLimits>[0], request: Request): Response | undefined {
  return checkRequestLimits(
    compileRequestLimits(limits)!,
    request,
    new URL(request.url),
    draftOf(request),
    "id",
  );
}

describe("headerBytes", () => {
  it("counts name: value CRLF for every header", () => {
    expect(headerBytes(new Headers({ a: "bc", "x-y": "" }))).toBe(1 + 2 + 4 + 3 + 0 + 4);
  });
});

describe("checkRequestLimits", () => {
  it("counts the path and query, not the scheme or host", () => {
    const request = new Request("https://a-long-host-name.example/abc?d=e");
    expect(check({ urlBytes: 8 }, request)).toBeUndefined();
    expect(check({ urlBytes: 7 }, request)?.status).toBe(414);
  });

  it("refuses headers past headerBytes with 431", () => {
    const request = new Request("https://x.test/", { headers: { "x-a": "12345" } });
    expect(check({ headerBytes: 12 }, request)).toBeUndefined();
    expect(check({ headerBytes: 11 }, request)?.status).toBe(431);
  });

  it("refuses a declared Content-Length over bodyBytes, or one that is not a length, with 413", () => {
    const post = (length: string) =>
      new Request("https://x.test/", { method: "POST", headers: { "content-length": length }, body: "x" });
    expect(check({ bodyBytes: 1 }, post("1"))).toBeUndefined();
    expect(check({ bodyBytes: 1 }, post("2"))?.status).toBe(413);
    expect(check({ bodyBytes: 1 }, post("1e3"))?.status).toBe(413);
  });

  it("compiles to nothing when no limit is set", () => {
    expect(compileRequestLimits({})).toBeUndefined();
    expect(compileRequestLimits(undefined)).toBeUndefined();
  });
});
