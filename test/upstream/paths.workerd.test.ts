/**
 * Path security through the gateway against a real pod: the path the rules matched is the path the
 * origin receives. Dot segments (plain or percent-encoded) never reach the origin, encoded separators
 * and NUL are refused unless the table opts in, and runs of `/` are merged.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, resetAllPods } from "../support/origins.ts";
import { clusterName, echoOf, podsCluster, tableFor } from "./support.ts";

beforeEach(resetAllPods);

/** `/public/**` goes to pod-a; nothing else is routed. */
function publicOnly(extra: Partial<RouteTableInput> = {}) {
  const name = clusterName("paths");
  return gatewayFor(
    tableFor(
      "paths.test",
      { [name]: podsCluster(["pod-a"]) },
      [{ matches: [{ path: { type: "PathPrefix", value: "/public" } }], backendRefs: [{ name }] }],
      extra,
    ),
  );
}

async function expectRefused(res: Response) {
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toBe("invalid_path");
}

describe("the path the origin receives", () => {
  it("dot segments, plain or percent-encoded, are resolved before matching and never reach the origin", async () => {
    const gw = publicOnly();
    const cases: [string, string][] = [
      ["/public/./a/../b", "/public/b"],
      ["/public/%2e/a/%2E%2E/b", "/public/b"],
      ["/public/a/.%2e/c", "/public/c"],
      ["/public//a///b", "/public/a/b"],
      ["/public/%7Euser", "/public/~user"],
    ];
    for (const [sent, received] of cases) {
      const echo = await echoOf(await gatewayFetch(gw, `https://paths.test${sent}`));
      expect([sent, echo.url]).toEqual([sent, received]);
    }
    const urls = (await podRequests("pod-a")).map((r) => r.url);
    expect(urls.some((u) => /\/\.|%2e/i.test(u))).toBe(false);
  });

  it("a dot segment cannot climb out of the matched prefix: /public/../private is /private, not routed", async () => {
    const gw = publicOnly();
    const cases: [string, number][] = [
      ["/public/../private", 404],
      ["/public/%2e%2e/private", 404],
      ["/public/..%2F..%2Fprivate", 400],
    ];
    for (const [sent, status] of cases) {
      const res = await gatewayFetch(gw, `https://paths.test${sent}`);
      expect([sent, res.status]).toEqual([sent, status]);
      await res.body?.cancel();
    }
    expect(await podRequests("pod-a")).toEqual([]);
  });

  it("%2F, %5C and %00 are refused with 400 invalid_path, and nothing reaches the origin", async () => {
    const gw = publicOnly();
    for (const sent of ["/public/a%2Fb", "/public/a%2fb", "/public/a%5Cb", "/public/a%00b"]) {
      await expectRefused(await gatewayFetch(gw, `https://paths.test${sent}`));
    }
    expect(await podRequests("pod-a")).toEqual([]);
  });

  it("with paths.allowEncodedSlashes, %2F and %5C reach the origin still encoded; %00 is still refused", async () => {
    const gw = publicOnly({ paths: { allowEncodedSlashes: true } });
    const echo = await echoOf(await gatewayFetch(gw, "https://paths.test/public/a%2fb%5Cc"));
    expect(echo.url).toBe("/public/a%2Fb%5Cc");
    await expectRefused(await gatewayFetch(gw, "https://paths.test/public/a%00b"));
  });
});
