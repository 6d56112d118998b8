/**
 * The status page's traffic source: the Analytics Engine SQL API client against a stand-in HTTP server
 * on 127.0.0.1 that answers as the SQL API does (`FORMAT JSON`: meta, data, 64-bit integers as strings),
 * and the isolate's own counters when the API is not configured or fails.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  resetTrafficCacheForTests,
  routeSeriesSql,
  routeTotalsSql,
  sqlApiConfig,
  trafficReport,
} from "../../src/admin/traffic.ts";
import type { Env } from "../../src/gateway/env.ts";
import {
  recordRequest,
  resetIsolateTrafficForTests,
  SLOT_SECONDS,
} from "../../src/observability/isolate-traffic.ts";

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

const received: Received[] = [];
let answer: { status: number; body: string } | undefined;
let server: http.Server;
let base = "";

const NOW = Date.UTC(2026, 11, 6, 10, 2, 0);
const SLOT = Math.floor(NOW / 1000 / SLOT_SECONDS) * SLOT_SECONDS;

function sqlApiAnswer(sql: string): unknown {
  if (sql.includes("AS slot")) {
    return {
      meta: [
        { name: "route", type: "String" },
        { name: "slot", type: "UInt32" },
        { name: "requests", type: "UInt64" },
        { name: "errors", type: "UInt64" },
      ],
      data: [
        { route: "orders", slot: SLOT - SLOT_SECONDS, requests: "1200", errors: "0" },
        { route: "orders", slot: SLOT, requests: "600", errors: "18" },
      ],
      rows: 2,
    };
  }
  return {
    meta: [
      { name: "route", type: "String" },
      { name: "requests", type: "UInt64" },
      { name: "errors", type: "UInt64" },
      { name: "p99", type: "Float64" },
    ],
    data: [
      { route: "orders", requests: "1800", errors: "18", p99: 87.4 },
      { route: "", requests: "3", errors: "0", p99: 0 },
    ],
    rows: 2,
  };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      });
      if (answer) {
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.body);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(sqlApiAnswer(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  received.length = 0;
  answer = undefined;
  resetTrafficCacheForTests();
  resetIsolateTrafficForTests();
});

const configured = () =>
  ({
    ANALYTICS_ACCOUNT_ID: "acc-123",
    ANALYTICS_API_TOKEN: "sql-token",
    ANALYTICS_SQL_URL: `${base}/client/v4/accounts/{account}/analytics_engine/sql`,
  }) as unknown as Env;

describe("traffic from the Analytics Engine SQL API", () => {
  it("is configured by an account id and a token; the dataset defaults to gatehouse", () => {
    expect(sqlApiConfig({} as Env)).toBeUndefined();
    expect(sqlApiConfig({ ANALYTICS_ACCOUNT_ID: "a" } as unknown as Env)).toBeUndefined();
    expect(sqlApiConfig({ ANALYTICS_ACCOUNT_ID: "a b", ANALYTICS_API_TOKEN: "t" } as unknown as Env)).toEqual(
      {
        url: "https://api.cloudflare.com/client/v4/accounts/a%20b/analytics_engine/sql",
        token: "t",
        dataset: "gatehouse",
      },
    );
  });

  it("POSTs the SQL with the bearer token and turns the rows into per-route figures and 5-minute series", async () => {
    const report = await trafficReport(configured(), NOW);
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r.method).toBe("POST");
      expect(r.url).toBe("/client/v4/accounts/acc-123/analytics_engine/sql");
      expect(r.authorization).toBe("Bearer sql-token");
      expect(r.body).toContain("FROM gatehouse");
      expect(r.body).toContain("FORMAT JSON");
    }
    expect(received.map((r) => r.body).sort()).toEqual(
      [routeSeriesSql("gatehouse"), routeTotalsSql("gatehouse")].sort(),
    );
    expect(report.source).toBe("analytics-engine");
    expect(report.problem).toBeUndefined();
    const orders = report.routes[0]!;
    expect([orders.route, orders.requests, orders.errors, orders.p99Ms]).toEqual(["orders", 1800, 18, 87]);
    expect(orders.points).toHaveLength(12);
    expect(orders.points.slice(-2)).toEqual([
      { start: SLOT - SLOT_SECONDS, requests: 1200, errors: 0 },
      { start: SLOT, requests: 600, errors: 18 },
    ]);
    expect(orders.points[0]).toEqual({ start: SLOT - 11 * SLOT_SECONDS, requests: 0, errors: 0 });
    expect(report.routes[1]!.route).toBe("(no route)");
  });

  it("asks again only after 30 seconds", async () => {
    await trafficReport(configured(), NOW);
    await trafficReport(configured(), NOW + 10_000);
    expect(received).toHaveLength(2);
    await trafficReport(configured(), NOW + 31_000);
    expect(received).toHaveLength(4);
  });

  it("falls back to this isolate's counters, saying why, when the API refuses or answers nonsense", async () => {
    recordRequest("local", 200, 4, NOW);
    for (const [status, body, why] of [
      [403, '{"errors":[{"message":"Authentication error"}]}', /answered 403: .*Authentication error/],
      [200, "<html>", /other than JSON/],
      [200, '{"meta":[]}', /no `data` array/],
    ] as const) {
      answer = { status, body };
      resetTrafficCacheForTests();
      const report = await trafficReport(configured(), NOW);
      expect(report.source).toBe("isolate");
      expect(report.problem).toMatch(why);
      expect(report.routes.map((r) => r.route)).toEqual(["local"]);
    }
  });

  it("refuses a dataset name that is not an identifier (it goes into the SQL)", async () => {
    const report = await trafficReport({ ...configured(), ANALYTICS_DATASET: "x; DROP" } as Env, NOW);
    expect(report.problem).toMatch(/ANALYTICS_DATASET/);
    expect(received).toHaveLength(0);
  });

  it("without configuration, shows this isolate's counters labelled as such", async () => {
    recordRequest("local", 503, 4, NOW);
    const report = await trafficReport({} as Env, NOW);
    expect(report.source).toBe("isolate");
    expect(report.label).toMatch(/^This isolate's own counters/);
    expect(report.routes[0]).toMatchObject({ route: "local", requests: 1, errors: 1 });
  });
});
