/**
 * The access log through the real pipeline: the line's content, the sampling of answered requests, the
 * chosen fields, and refusals that are always written. (The test configuration drops access lines from
 * the output after spies have seen them: vitest.config.ts.)
 */
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/gateway/env.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podUrl } from "../support/origins.ts";
import { accessLogDuring } from "../upstream/support.ts";

const gateway = () =>
  gatewayFor({
    version: 1,
    clusters: { pods: { endpoints: [{ url: podUrl("pod-b"), name: "pod-b" }] } },
    routes: [
      { id: "shop", hostnames: ["shop.test"], rules: [{ name: "all", backendRefs: [{ name: "pods" }] }] },
    ],
  });

async function fetchAll(urls: string[], env: Partial<Env>) {
  const g = gateway();
  return accessLogDuring(async () => {
    for (const url of urls) {
      const response = await gatewayFetch(g, url, {}, { env });
      await response.body?.cancel();
    }
  });
}

describe("access log", () => {
  it("writes one JSON line per request with what the gateway decided and never the query string", async () => {
    const { lines } = await fetchAll(["https://shop.test/cart?token=secret"], {});
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      type: "access",
      method: "GET",
      host: "shop.test",
      path: "/cart",
      route: "shop",
      rule: "all",
      cluster: "pods",
      endpoint: "pod-b",
      status: 200,
      attempts: 1,
      auth: "none",
      tableVersion: 1,
    });
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof line.totalMs).toBe("number");
    expect(JSON.stringify(line)).not.toContain("secret");
  });

  it("samples answered requests and always writes refusals", async () => {
    const urls = [...Array(20).fill("https://shop.test/ok"), "https://nowhere.test/"];
    const off = await fetchAll(urls, { ACCESS_LOG_SAMPLE_RATE: "0" });
    expect(off.lines.map((l) => l.status)).toEqual([404]);
    const all = await fetchAll(urls, { ACCESS_LOG_SAMPLE_RATE: "1" });
    expect(all.lines).toHaveLength(21);
    // A value that does not parse keeps the default (everything): a typo never silences the log.
    const typo = await fetchAll(urls, { ACCESS_LOG_SAMPLE_RATE: "one" });
    expect(typo.lines).toHaveLength(21);
  });

  it("keeps only the configured fields, plus requestId and status", async () => {
    const { lines } = await fetchAll(["https://shop.test/a"], { ACCESS_LOG_FIELDS: "route, totalMs" });
    expect(Object.keys(lines[0]!).sort()).toEqual(["requestId", "route", "status", "totalMs", "type"]);
  });
});
