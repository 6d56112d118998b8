/**
 * The traffic the status page shows: per route, requests, error rate and p99 over the last hour, with
 * a 5-minute series for the charts. From the Analytics Engine SQL API when it is configured (every
 * isolate's data points, docs/observability.md), else from this isolate's own counters, labelled so.
 *
 *   ANALYTICS_ACCOUNT_ID   var: the account that owns the dataset
 *   ANALYTICS_API_TOKEN    secret: an API token with "Account Analytics: Read"
 *   ANALYTICS_DATASET      var: the dataset the binding writes (default `gatehouse`)
 *   ANALYTICS_SQL_URL      var: the SQL endpoint, for a proxy or a test stand-in (default: Cloudflare's)
 */
import type { Env } from "../gateway/env.ts";
import {
  isolateTraffic,
  type RouteTraffic,
  SLOT_SECONDS,
  SLOTS,
  type TrafficPoint,
} from "../observability/isolate-traffic.ts";

export type { RouteTraffic, TrafficPoint };

export interface TrafficReport {
  source: "analytics-engine" | "isolate";
  /** One sentence for the page: where the figures come from and what they cover. */
  label: string;
  windowSeconds: number;
  routes: RouteTraffic[];
  /** Why the SQL API was configured but not used (its error); the isolate's counters stand in. */
  problem?: string;
}

export interface SqlApiConfig {
  url: string;
  token: string;
  dataset: string;
}

const DATASET = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const QUERY_TIMEOUT_MS = 5_000;
/** Reloads within this time reuse the last answer: the page never hammers the API. */
const CACHE_MS = 30_000;
const MAX_ROUTES = 500;

export function sqlApiConfig(env: Env): SqlApiConfig | undefined {
  const account = typeof env.ANALYTICS_ACCOUNT_ID === "string" ? env.ANALYTICS_ACCOUNT_ID.trim() : "";
  const token = typeof env.ANALYTICS_API_TOKEN === "string" ? env.ANALYTICS_API_TOKEN.trim() : "";
  if (account === "" || token === "") return undefined;
  const dataset =
    typeof env.ANALYTICS_DATASET === "string" && env.ANALYTICS_DATASET !== ""
      ? env.ANALYTICS_DATASET
      : "gatehouse";
  const base =
    typeof env.ANALYTICS_SQL_URL === "string" && env.ANALYTICS_SQL_URL !== ""
      ? env.ANALYTICS_SQL_URL
      : "https://api.cloudflare.com/client/v4/accounts/{account}/analytics_engine/sql";
  return { url: base.replace("{account}", encodeURIComponent(account)), token, dataset };
}

/** Totals per route over the hour (p99 over the hour, not per slot). */
export function routeTotalsSql(dataset: string): string {
  return `SELECT blob1 AS route, SUM(_sample_interval) AS requests,
  SUM(IF(double1 >= 500, _sample_interval, 0)) AS errors,
  quantileExactWeighted(0.99)(double2, _sample_interval) AS p99
FROM ${dataset}
WHERE timestamp > NOW() - INTERVAL '1' HOUR
GROUP BY route ORDER BY requests DESC LIMIT ${MAX_ROUTES}
FORMAT JSON`;
}

/** The same per 5-minute slot, for the charts. */
export function routeSeriesSql(dataset: string): string {
  return `SELECT blob1 AS route, intDiv(toUInt32(timestamp), ${SLOT_SECONDS}) * ${SLOT_SECONDS} AS slot,
  SUM(_sample_interval) AS requests, SUM(IF(double1 >= 500, _sample_interval, 0)) AS errors
FROM ${dataset}
WHERE timestamp > NOW() - INTERVAL '1' HOUR
GROUP BY route, slot ORDER BY route, slot LIMIT ${MAX_ROUTES * (SLOTS + 1)}
FORMAT JSON`;
}

export class SqlApiError extends Error {
  override readonly name = "SqlApiError";
}

/** One SQL statement; the rows of its `FORMAT JSON` answer. */
export async function runSql(config: SqlApiConfig, sql: string): Promise<Record<string, unknown>[]> {
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: "POST",
      headers: { authorization: `Bearer ${config.token}`, "content-type": "text/plain; charset=utf-8" },
      body: sql,
      signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
    });
  } catch (err) {
    throw new SqlApiError(`the Analytics Engine SQL API did not answer: ${String(err)}`);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SqlApiError(`the Analytics Engine SQL API answered ${response.status}: ${text.slice(0, 200)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SqlApiError("the Analytics Engine SQL API answered with something other than JSON");
  }
  const data = (body as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new SqlApiError("the Analytics Engine SQL API answer has no `data` array");
  return data as Record<string, unknown>[];
}

/** 64-bit integers come back as strings in ClickHouse's JSON; NaN (no rows) as null. */
function num(value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

export async function analyticsTraffic(config: SqlApiConfig, nowMs: number): Promise<RouteTraffic[]> {
  if (!DATASET.test(config.dataset)) {
    throw new SqlApiError(`ANALYTICS_DATASET: "${config.dataset}" is not a dataset name`);
  }
  const [totals, series] = await Promise.all([
    runSql(config, routeTotalsSql(config.dataset)),
    runSql(config, routeSeriesSql(config.dataset)),
  ]);
  const current = Math.floor(nowMs / 1000 / SLOT_SECONDS);
  const slots = new Map<string, Map<number, TrafficPoint>>();
  for (const row of series) {
    const route = String(row.route ?? "");
    let bySlot = slots.get(route);
    if (!bySlot) {
      bySlot = new Map();
      slots.set(route, bySlot);
    }
    const start = num(row.slot);
    bySlot.set(start, { start, requests: num(row.requests), errors: num(row.errors) });
  }
  return totals.map((row) => {
    const route = String(row.route ?? "");
    const points: TrafficPoint[] = [];
    for (let slot = current - SLOTS + 1; slot <= current; slot++) {
      const start = slot * SLOT_SECONDS;
      points.push(slots.get(route)?.get(start) ?? { start, requests: 0, errors: 0 });
    }
    const requests = num(row.requests);
    return {
      route: route === "" ? "(no route)" : route,
      requests,
      errors: num(row.errors),
      p99Ms: requests > 0 ? Math.round(num(row.p99)) : undefined,
      points,
    };
  });
}

let cached: { key: string; atMs: number; report: TrafficReport } | undefined;

export async function trafficReport(env: Env, nowMs = Date.now()): Promise<TrafficReport> {
  const config = sqlApiConfig(env);
  const windowSeconds = SLOTS * SLOT_SECONDS;
  const fromIsolate = (problem?: string): TrafficReport => {
    const own = isolateTraffic(nowMs);
    return {
      source: "isolate",
      label: `This isolate's own counters since ${own.since} (not the whole deployment: configure the Analytics Engine SQL API for that)`,
      windowSeconds,
      routes: own.routes,
      ...(problem ? { problem } : {}),
    };
  };
  if (!config) return fromIsolate();
  const key = `${config.url}\u0000${config.dataset}`;
  if (cached && cached.key === key && nowMs - cached.atMs < CACHE_MS) return cached.report;
  try {
    const routes = await analyticsTraffic(config, nowMs);
    const report: TrafficReport = {
      source: "analytics-engine",
      label: `All isolates, from Workers Analytics Engine (dataset ${config.dataset}); refreshed at most every ${CACHE_MS / 1000}s`,
      windowSeconds,
      routes,
    };
    cached = { key, atMs: nowMs, report };
    return report;
  } catch (err) {
    return fromIsolate(err instanceof Error ? err.message : String(err));
  }
}

export function resetTrafficCacheForTests(): void {
  cached = undefined;
}
